/**
 * The layers run one way (docs/architecture.md): a folder imports only folders below it, and no two
 * folders import each other. protocol/ (the shared contracts) is the bottom: it imports only itself
 * and npm packages; builder/ and framework/ reach the server side only through it. The test reads
 * every import of the source tree (static and type-only, relative specifiers) and fails on an upward
 * edge or a cycle between top-level folders, on any engine import that is not downward in
 * ENGINE_LAYERS, and on any cycle between host/ subfolders.
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
 * The strongly connected groups of a directed graph with more than one member (Tarjan): each is a
 * cycle, whatever its length.
 */
function cyclesOf(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return out;
}

/**
 * host/'s subfolders import each other one way only: the host root holds what its parts share
 * (config, auth, lockout, credentials, limits, the log ring) and imports no subfolder; host/server/
 * ties the parts into one process. Any cycle, of any length, fails and is named with one edge per
 * step.
 */
Deno.test("layers: no cycle between subfolders of host/ (the root imports none of them)", () => {
  const graph = new Map<string, Set<string>>();
  const example = new Map<string, string>();
  for (const [from, to] of edges()) {
    if (top(from) !== "host" || top(to) !== "host" || from === "host/mod.ts") continue;
    if (sub(from) === sub(to)) continue;
    if (!graph.has(sub(from))) graph.set(sub(from), new Set());
    graph.get(sub(from))!.add(sub(to));
    example.set(`${sub(from)} → ${sub(to)}`, `${from} → ${to}`);
  }
  const rootImports = [...example.entries()].filter(([pair]) => pair.startsWith("host → "));
  assert(
    rootImports.length === 0,
    `the host root imports its subfolders:\n${rootImports.map(([, edge]) => edge).join("\n")}`,
  );
  const cycles = cyclesOf(graph).map((group) => {
    const inGroup = [...example.entries()].filter(([pair]) => {
      const [a, b] = pair.split(" → ");
      return group.includes(a) && group.includes(b);
    });
    return `${group.join(" ↔ ")}:\n  ${inGroup.map(([, edge]) => edge).join("\n  ")}`;
  });
  assert(cycles.length === 0, `host subfolder cycles:\n${cycles.join("\n")}`);
});
