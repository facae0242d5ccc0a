/**
 * The layers run one way (docs/architecture.md): a folder imports only folders below it, and no two
 * folders import each other. protocol/ (the shared contracts) is the bottom: it imports only itself
 * and npm packages; builder/ and framework/ reach the server side only through it. The test reads
 * every import of the source tree (static and type-only, relative specifiers) and fails on an upward
 * edge or a cycle between top-level folders, on any engine import that is not downward in
 * ENGINE_LAYERS, and on a host/ subfolder cycle not yet known.
 */
import { assert } from "./_util/assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * Each top-level folder's layer: a file may import its own folder and folders of a lower layer only.
 * Folders on one layer (framework, client, builder) may import each other only one way, checked by
 * the cycle rule.
 */
export const LAYERS: Record<string, number> = {
  protocol: 0,
  engine: 1,
  builder: 2,
  client: 2,
  framework: 2,
  sdk: 2,
  host: 3,
  workbench: 4,
  cli: 5,
};
/** Entry files at the top level: each may import anything (they are what users import or run). */
const ENTRY_FILES = new Set(["main.ts", "cli.ts", "mod.ts"]);

function* sourceFiles(dir: string): Generator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(`${ROOT}${dir}`)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      if (entry.name !== "node_modules" && entry.name !== "assembly") yield* sourceFiles(path);
    } else if (entry.name.endsWith(".ts")) {
      yield path;
    }
  }
}

const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|^\s*import\s+"(\.[^"]+)"/gm;

function normalize(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of spec.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** Every import edge between files of the layered folders: [from file, to file]. */
function edges(): [string, string][] {
  const out: [string, string][] = [];
  for (const folder of Object.keys(LAYERS)) {
    for (const file of sourceFiles(folder)) {
      for (const match of Deno.readTextFileSync(`${ROOT}${file}`).matchAll(IMPORT)) {
        out.push([file, normalize(file, match[1] ?? match[2])]);
      }
    }
  }
  return out;
}

const top = (path: string) => path.split("/")[0];

Deno.test("layers: no folder imports a folder above it", () => {
  const bad = edges().filter(([from, to]) => {
    if (ENTRY_FILES.has(to)) return true; // nothing below the entry points imports them
    const a = LAYERS[top(from)], b = LAYERS[top(to)];
    return b !== undefined && b > a;
  }).map(([from, to]) => `${from} → ${to}`);
  assert(bad.length === 0, `upward imports:\n${bad.join("\n")}`);
});

Deno.test("layers: protocol/ is the bottom: it imports only its own files", () => {
  const files = [...sourceFiles("protocol")];
  assert(files.length > 0, "protocol/ exists");
  const bad = edges().filter(([from, to]) => top(from) === "protocol" && top(to) !== "protocol")
    .map(([from, to]) => `${from} → ${to}`);
  assert(bad.length === 0, `protocol/ imports above itself:\n${bad.join("\n")}`);
});

Deno.test("layers: builder/ and framework/ take server contracts from protocol/ only", () => {
  const bad = edges().filter(([from, to]) =>
    (top(from) === "builder" || top(from) === "framework") && (top(to) === "engine" || top(to) === "host")
  ).map(([from, to]) => `${from} → ${to}`);
  assert(bad.length === 0, `builder/framework import server code:\n${bad.join("\n")}`);
});

Deno.test("layers: no two top-level folders import each other", () => {
  const pairs = new Map<string, string>();
  for (const [from, to] of edges()) {
    if (top(from) !== top(to) && LAYERS[top(to)] !== undefined) {
      pairs.set(`${top(from)}→${top(to)}`, `${from} → ${to}`);
    }
  }
  const cycles = [...pairs.keys()].filter((pair) => {
    const [a, b] = pair.split("→");
    return a < b && pairs.has(`${b}→${a}`);
  }).map((pair) => {
    const [a, b] = pair.split("→");
    return `${pairs.get(`${a}→${b}`)}  and  ${pairs.get(`${b}→${a}`)}`;
  });
  assert(cycles.length === 0, `folder cycles:\n${cycles.join("\n")}`);
});

/**
 * The parts of the engine, bottom first (docs/architecture.md): a file may import its own folder and
 * folders of a lower rank only. The engine's root files (key, limits, document, fs, …) are rank 0.
 */
export const ENGINE_LAYERS: Record<string, number> = {
  "engine": 0,
  "engine/wal": 1,
  "engine/vlog": 1,
  "engine/btree": 1,
  "engine/memtable": 1,
  "engine/query": 2,
  "engine/pql": 3,
  "engine/indexes": 3,
  "engine/changes": 4,
  "engine/db": 5,
  "engine/exec": 6,
  "engine/tx": 7,
};

/** The folder a file belongs to: `engine/db` for engine/db/x.ts, `engine` for engine/x.ts. */
const sub = (path: string) => path.split("/").slice(0, path.split("/").length > 2 ? 2 : 1).join("/");

Deno.test("layers: the engine's parts import only parts below them (no subfolder cycle)", () => {
  const bad: string[] = [];
  for (const [from, to] of edges()) {
    if (top(from) !== "engine" || top(to) !== "engine" || from === "engine/mod.ts") continue;
    const a = ENGINE_LAYERS[sub(from)], b = ENGINE_LAYERS[sub(to)];
    if (a === undefined) bad.push(`${from}: folder ${sub(from)} has no rank in ENGINE_LAYERS`);
    else if (sub(from) !== sub(to) && !(b < a)) bad.push(`${from} → ${to}`);
  }
  assert(bad.length === 0, `engine imports that are not downward:\n${bad.join("\n")}`);
});

/**
 * Cycles between host/'s subfolders that are still known (the host root's server wiring and the wire
 * ops it reaches into). The test fails on any cycle not listed here and names listed ones that
 * are gone (delete them: the list only shrinks).
 */
const HOST_CYCLES_KNOWN = new Set([
  "host ↔ host/http",
  "host ↔ host/live",
  "host ↔ host/replication",
  "host ↔ host/wire",
  "host/ops ↔ host/wire",
]);

Deno.test("layers: no new cycle between subfolders of host/ (known ones listed until they are gone)", () => {
  const pairs = new Set<string>();
  for (const [from, to] of edges()) {
    if (top(from) !== "host" || top(to) !== "host" || from.endsWith("/mod.ts")) continue;
    if (sub(from) !== sub(to)) pairs.add(`${sub(from)} → ${sub(to)}`);
  }
  const cycles = [...pairs].filter((pair) => {
    const [a, b] = pair.split(" → ");
    return a < b && pairs.has(`${b} → ${a}`);
  }).map((c) => c.replace(" → ", " ↔ "));
  console.log(`host subfolder cycles (${cycles.length}):\n  ${cycles.join("\n  ")}`);
  const added = cycles.filter((c) => !HOST_CYCLES_KNOWN.has(c));
  const gone = [...HOST_CYCLES_KNOWN].filter((c) => !cycles.includes(c));
  assert(added.length === 0, `new host subfolder cycles:\n${added.join("\n")}`);
  if (gone.length > 0) console.log(`gone (remove from HOST_CYCLES_KNOWN): ${gone.join(", ")}`);
});
