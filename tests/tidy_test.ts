/**
 * Tidy checks (docs/style.md): the mechanical rules every file follows — no `index.ts`, files under
 * 600 lines, no console output from engine/, the dependency direction (engine imports nothing from
 * host/, workbench/ or the CLI; the guest-side libraries builder/ and framework/ import nothing
 * server-side), and an issue number on every TODO.
 */
import { assert } from "./_util/assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const SOURCE_DIRS = [
  "engine",
  "host",
  "workbench",
  "builder",
  "framework",
  "client",
  "cli",
  "scripts",
  "tests",
];
/** docs/style.md: keep files under 400 lines, split before 600. */
const FILE_LINES_MAX = 600;

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(`${ROOT}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      if (entry.name !== "node_modules" && entry.name !== "fixtures") yield* sourceFiles(path);
    } else if (entry.name.endsWith(".ts")) {
      yield path;
    }
  }
}

const FILES = SOURCE_DIRS.flatMap((dir) => [...sourceFiles(dir)]).concat(["main.ts", "cli.ts", "mod.ts"]);
const text = (path: string) => Deno.readTextFileSync(`${ROOT}${path}`);
const imports = (source: string) =>
  [...source.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);

Deno.test("tidy: no file is named index.ts", () => {
  const bad = FILES.filter((f) => f.endsWith("/index.ts"));
  assert(bad.length === 0, `use mod.ts: ${bad.join(", ")}`);
});

Deno.test(`tidy: every source file has fewer than ${FILE_LINES_MAX} lines`, () => {
  const long = FILES.filter((f) => text(f).split("\n").length >= FILE_LINES_MAX);
  assert(long.length === 0, `split these: ${long.join(", ")}`);
});

Deno.test("tidy: engine/ prints nothing to the console", () => {
  const bad = FILES.filter((f) =>
    f.startsWith("engine/") && /console\.(log|error|warn|info)\(/.test(text(f))
  );
  assert(bad.length === 0, `engine reports through errors and stats: ${bad.join(", ")}`);
});

Deno.test("tidy: dependencies run cli → workbench → host → engine, never back", () => {
  const forbidden: Record<string, RegExp> = {
    "engine/": /(^|\/)(host|workbench|cli|framework|client)\//,
    "host/": /(^|\/)workbench\/|(^|\/)cli(\.ts|\/)/,
  };
  const bad: string[] = [];
  for (const file of FILES) {
    for (const [dir, pattern] of Object.entries(forbidden)) {
      if (!file.startsWith(dir)) continue;
      for (const spec of imports(text(file))) {
        if (spec.startsWith(".") && pattern.test(spec)) bad.push(`${file} → ${spec}`);
      }
    }
  }
  assert(bad.length === 0, bad.join("\n"));
});

Deno.test("tidy: builder/ and framework/ (guest code) import only types from engine/", () => {
  const bad: string[] = [];
  for (const file of FILES.filter((f) => f.startsWith("builder/") || f.startsWith("framework/"))) {
    for (const line of text(file).split("\n")) {
      if (/^(import|export)\b(?!\s+type\b).*from\s+"\.\.\/(engine|host)\//.test(line)) {
        bad.push(`${file}: ${line}`);
      }
    }
  }
  assert(bad.length === 0, bad.join("\n"));
});

Deno.test("tidy: every TODO names an issue", () => {
  const bad: string[] = [];
  for (const file of FILES) {
    if (file === "tests/tidy_test.ts") continue;
    text(file).split("\n").forEach((line, i) => {
      if (/\bTODO\b(?!\(#\d+\))/.test(line)) bad.push(`${file}:${i + 1}`);
    });
  }
  assert(bad.length === 0, `write TODO(#N): ${bad.join(", ")}`);
});
