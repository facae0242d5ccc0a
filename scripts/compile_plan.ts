/**
 * What `deno task compile` embeds in dist/planck, measured from the module graph of main.ts
 * (`deno info --json main.ts`): the local modules (and the text/bytes assets they import), and
 * the npm packages the graph reaches (with their dependencies) from node_modules/.deno/ — minus
 * what never runs:
 *   - packages the graph does not reach (test and bench tools: playwright-core, postgres, hono…);
 *   - binaryen's `bin/` (native command-line tools; asc uses only binaryen's index.js);
 *   - source maps and type declarations (`*.map`, `*.d.ts`, `*.d.mts`, `*.d.cts`: the binary is
 *     compiled with --no-check and never type-checks a package).
 * The result gives the `--exclude` arguments for `deno compile` and the byte counts the docs quote
 * (docs/cli.md "One binary"); tests/cli/compile_plan_test.ts keeps the total under EMBED_BYTES_MAX.
 */
import * as path from "node:path";

/** The most the compiled binary may embed beyond the Deno runtime (denort) itself. */
export const EMBED_BYTES_MAX = 44 * 1024 * 1024;

/** Paths inside a package that never run, by package name. */
const UNUSED_INSIDE: Record<string, string[]> = { binaryen: ["bin"] };
/** File endings inside packages that never run. */
const UNUSED_ENDINGS = [".map", ".d.ts", ".d.mts", ".d.cts"];

/** One npm package directory of node_modules/.deno/. */
export interface PackageEntry {
  /** `name@version` as the lockfile spells it. */
  id: string;
  /** Absolute path of node_modules/.deno/<dir>. */
  dir: string;
  /** Bytes of its files (apparent size). */
  bytes: number;
}

/** The compile plan. */
export interface EmbedPlan {
  /** Local modules of the graph (count, bytes), assets included. */
  localModules: number;
  localBytes: number;
  /** Packages embedded, with the bytes that remain after exclusions. */
  packages: (PackageEntry & { embeddedBytes: number })[];
  /** Packages left out entirely (not reached from main.ts). */
  unused: PackageEntry[];
  /** Paths passed to `deno compile --exclude` (absolute). */
  excludes: string[];
  /** Bytes excluded inside embedded packages. */
  excludedInsideBytes: number;
  /** localBytes + the embedded packages' bytes. */
  embeddedBytes: number;
}

interface GraphInfo {
  modules: { specifier: string; kind?: string; size?: number }[];
  npmPackages: Record<string, { dependencies?: string[] }>;
}

/** `name@version` of an `npm:` specifier (`npm:/assemblyscript@0.28.20/dist/asc.js`, `npm:/@a/b@1`). */
export function npmPackageId(specifier: string): string | undefined {
  const rest = specifier.replace(/^npm:\/?/, "");
  const parts = rest.split("/");
  const id = rest.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  return /@[^@/]+$/.test(id.slice(1)) ? id : undefined;
}

/** The node_modules/.deno directory name of a package id (`@a/b@1` → `@a+b@1`). */
export function packageDirName(id: string): string {
  return id.replace("/", "+");
}

/** Files under `dir` (no symlinks followed) with their sizes. */
async function walk(dir: string, out: { file: string; bytes: number }[] = []): Promise<typeof out> {
  for await (const entry of Deno.readDir(dir)) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory) await walk(file, out);
    else if (entry.isFile) out.push({ file, bytes: (await Deno.stat(file)).size });
  }
  return out;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await Deno.stat(file)).size;
  } catch {
    return 0;
  }
}

/** Reads the graph of `entry` in `repo` with `deno info --json`. */
async function graphOf(repo: string, entry: string): Promise<GraphInfo> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: repo,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Measures what the binary of `entry` (default main.ts) in `repo` embeds. */
export async function embedPlan(repo: string, entry = "main.ts"): Promise<EmbedPlan> {
  const graph = await graphOf(repo, entry);
  const store = path.join(repo, "node_modules", ".deno");
  const roots = new Set<string>();
  let localModules = 0;
  let localBytes = 0;
  for (const module of graph.modules) {
    if (module.specifier.startsWith("npm:")) {
      const id = npmPackageId(module.specifier);
      if (id !== undefined) roots.add(id);
      continue;
    }
    if (!module.specifier.startsWith("file://")) continue;
    const file = decodeURIComponent(new URL(module.specifier).pathname);
    const inStore = path.relative(store, file);
    if (!inStore.startsWith("..")) {
      const dirName = inStore.split(path.sep)[0];
      const id = Object.keys(graph.npmPackages).find((p) => packageDirName(p) === dirName);
      if (id !== undefined) roots.add(id);
      continue;
    }
    localModules++;
    localBytes += module.size ?? await sizeOf(file);
  }
  const reached = new Set<string>();
  const visit = (id: string) => {
    if (reached.has(id)) return;
    reached.add(id);
    for (const dep of graph.npmPackages[id]?.dependencies ?? []) visit(dep);
  };
  for (const id of roots) visit(id);

  const plan: EmbedPlan = {
    localModules,
    localBytes,
    packages: [],
    unused: [],
    excludes: [],
    excludedInsideBytes: 0,
    embeddedBytes: localBytes,
  };
  const installed = Object.keys(graph.npmPackages).sort();
  for (const id of installed) {
    const dir = path.join(store, packageDirName(id));
    const files = await walk(dir).catch(() => []);
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
    if (!reached.has(id)) {
      plan.unused.push({ id, dir, bytes });
      plan.excludes.push(dir);
      const name = id.slice(0, id.lastIndexOf("@"));
      plan.excludes.push(path.join(repo, "node_modules", name));
      continue;
    }
    const name = id.slice(0, id.lastIndexOf("@"));
    const packageRoot = path.join(dir, "node_modules", name);
    const inside = (UNUSED_INSIDE[name] ?? []).map((p) => path.join(packageRoot, p));
    let excluded = 0;
    for (const f of files) {
      const underInside = inside.some((p) => f.file.startsWith(p + path.sep));
      if (underInside) {
        excluded += f.bytes;
        plan.excludes.push(f.file); // each file: deno compile keeps a package.json "bin" entry otherwise
      } else if (UNUSED_ENDINGS.some((e) => f.file.endsWith(e))) {
        excluded += f.bytes;
        plan.excludes.push(f.file);
      }
    }
    plan.excludes.push(...inside);
    plan.excludedInsideBytes += excluded;
    plan.packages.push({ id, dir, bytes, embeddedBytes: bytes - excluded });
    plan.embeddedBytes += bytes - excluded;
  }
  return plan;
}

/** MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A table of the plan for the console and docs/cli.md. */
export function describePlan(plan: EmbedPlan): string {
  const lines = [
    `local modules: ${plan.localModules} files, ${mib(plan.localBytes)}`,
    ...plan.packages.sort((a, b) => b.embeddedBytes - a.embeddedBytes).map((p) =>
      `npm ${p.id}: ${mib(p.embeddedBytes)}${p.embeddedBytes === p.bytes ? "" : ` (of ${mib(p.bytes)})`}`
    ),
    `left out (not reached from main.ts): ${plan.unused.map((p) => `${p.id} ${mib(p.bytes)}`).join(", ")}`,
    `left out inside embedded packages (binaryen/bin, *.map, *.d.ts): ${mib(plan.excludedInsideBytes)}`,
    `embedded in total: ${mib(plan.embeddedBytes)} (limit EMBED_BYTES_MAX ${
      mib(EMBED_BYTES_MAX)
    }), plus denort`,
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(describePlan(await embedPlan(path.resolve(import.meta.dirname!, ".."))));
}
