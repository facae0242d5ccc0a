/**
 * `planck build` for native services (planck.json `"tier": "native"`, docs/wasm-abi.md "Native
 * tier"): compiles the AssemblyScript entry with asc in-process, instantiates the module once with
 * stub imports to read its routes and indexes from `planck_describe`, and appends the custom
 * sections `planck.abi` and `planck.manifest`.
 *
 * Resolution: the service's own files are read from its directory (only `.ts` files under it);
 * the package "planck" (`import … from "planck"` or `"planck/router"`) is the embedded SDK
 * (sdk_sources.ts), served under a virtual path, so nothing outside the service is read at build
 * time. `planck/config` is generated from planck.json (the route prefix).
 *
 * Invariants: a compile error is PlanckError `invalid_argument` naming file:line:column; the
 * output passes the deploy checks of validate.ts (imports, memory, exports) and exports
 * planck_describe; the manifest passes parseManifest.
 */
import * as path from "node:path";
import { deserialize } from "bson";
import { PlanckError } from "../../protocol/errors.ts";
import {
  ABI_VERSION,
  parseManifest,
  PREFIX_PATTERN,
  SECTION_MANIFEST,
  type ServiceManifest,
} from "../../protocol/abi.ts";
import { readGuestString } from "./session.ts";
import { appendCustomSection } from "../guest/sections.ts";
import {
  ABI_NAME,
  EXPORT_ALLOC,
  EXPORT_DESCRIBE,
  EXPORT_HANDLE,
  NATIVE_ABI_VERSION,
  SECTION_ABI,
} from "./core_abi.ts";
import { SDK_SOURCES } from "./sdk_sources.ts";
import { inspectCompiled } from "./validate.ts";

/** The content of the `planck.abi` section (SECTION_ABI). */
export const CORE_ABI = { abi: ABI_NAME, version: NATIVE_ABI_VERSION } as const;

/** The entry when planck.json names none. */
const ENTRY_DEFAULT = "assembly/index.ts";
/** Virtual directory the SDK is served from: the package "planck" is SDK_ROOT/planck/. */
const SDK_ROOT = "/~planck-sdk";
/** asc options: the incremental GC, memory imported from the host (`env.memory`). */
const ASC_FLAGS = ["--runtime", "incremental", "--importMemory", "--noColors"];
/** Optimization: speed first, then size (-O3s); -O3 builds take longer for a larger module. */
const ASC_OPTIMIZE = ["-O3s"];
/** No optimization: a build in a fraction of the time, for tests and quick iterations. */
const ASC_DEBUG = ["-O0"];
/** The memory cap while describing (the host's default cap). */
const DESCRIBE_MEMORY_PAGES_MAX = 1024;
/** asc's diagnostic category for errors. */
const CATEGORY_ERROR = 3;
/** The exports the entry must re-export from the SDK. */
const ABI_EXPORTS = [EXPORT_ALLOC, EXPORT_HANDLE, EXPORT_DESCRIBE];

/** Options of `buildNativeService`. */
export interface NativeBuildOptions {
  /** Optimize the module (default true); false builds several times faster. */
  optimize?: boolean;
}

/** What `buildNativeService` produced: the `.wasm`, its manifest and the module's own size. */
export interface NativeBuildResult {
  wasm: Uint8Array;
  manifest: ServiceManifest;
  /** Bytes of the compiled module before the custom sections. */
  bundleBytes: number;
}

interface NativeConfig {
  name: string;
  version: string;
  /** The entry, relative to the service directory, with "/" separators. */
  entry: string;
  prefix: string;
  schedules: unknown;
}

async function readNativeConfig(root: string): Promise<NativeConfig> {
  const file = path.join(root, "planck.json");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new PlanckError("invalid_argument", `Cannot read "${file}": ${(error as Error).message}`, { file });
  }
  const entry = typeof raw.entry === "string" ? raw.entry : ENTRY_DEFAULT;
  const resolved = path.resolve(root, entry);
  if (!resolved.startsWith(root + path.sep) || !resolved.endsWith(".ts")) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid entry "${entry}" in "${file}": a .ts file inside the service directory`,
      { file, field: "entry" },
    );
  }
  return {
    name: typeof raw.name === "string"
      ? raw.name
      : path.basename(root).toLowerCase().replace(/[^a-z0-9_]/g, "_"),
    version: typeof raw.version === "string" ? raw.version : "0.0.0",
    entry: path.relative(root, resolved).split(path.sep).join("/"),
    prefix: typeof raw.prefix === "string" && raw.prefix !== "/" ? raw.prefix : "",
    schedules: raw.schedules, // checked by parseManifest, scoped at deploy
  };
}

/**
 * Compiles the AssemblyScript service in `dir` (planck.json with `"tier": "native"`) into a `.wasm`.
 * @throws PlanckError `invalid_argument` naming file, line and column on a compile error
 */
export async function buildNativeService(
  dir: string,
  options: NativeBuildOptions = {},
): Promise<NativeBuildResult> {
  const root = path.resolve(dir);
  const config = await readNativeConfig(root);
  if (config.prefix !== "" && !PREFIX_PATTERN.test(config.prefix)) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid prefix ${
        JSON.stringify(config.prefix)
      } in planck.json: "/" and path segments, no trailing "/"`,
      { field: "prefix" },
    );
  }
  const flags = [...ASC_FLAGS, ...(options.optimize === false ? ASC_DEBUG : ASC_OPTIMIZE)];
  const module = await compileService(root, config, flags);
  const described = await describeModule(module, config.entry);
  const manifest = parseManifest(JSON.stringify({
    name: config.name,
    version: config.version,
    abi: ABI_VERSION,
    tier: "native",
    prefix: config.prefix,
    routes: described.routes,
    indexes: described.indexes,
    topics: described.topics,
    assets: {},
    schedules: config.schedules,
  }));
  const encoder = new TextEncoder();
  let wasm = appendCustomSection(module, SECTION_ABI, encoder.encode(JSON.stringify(CORE_ABI)));
  wasm = appendCustomSection(wasm, SECTION_MANIFEST, encoder.encode(JSON.stringify(manifest)));
  return { wasm, manifest, bundleBytes: module.length };
}

/** Source text of an SDK file by its path under the package ("router.ts", "index.ts" …). */
function sdkSource(file: string, config: NativeConfig): string | null {
  if (file === "index.ts") return SDK_SOURCES["mod.ts"];
  if (file === "config.ts") return `export const PREFIX = ${JSON.stringify(config.prefix)};\n`;
  return Object.hasOwn(SDK_SOURCES, file) ? SDK_SOURCES[file] : null;
}

async function compileService(root: string, config: NativeConfig, flags: string[]): Promise<Uint8Array> {
  const asc = await import("assemblyscript/dist/asc.js");
  const served = new Map<string, string>();
  const errors: string[] = [];
  let first: { file: string; line: number; column: number } | undefined;
  let binary: Uint8Array | undefined;
  const sdkDir = `${SDK_ROOT}/planck/`;
  const result = await asc.main([
    config.entry,
    "--baseDir",
    root,
    "--path",
    SDK_ROOT,
    "--outFile",
    "out.wasm",
    ...flags,
  ], {
    readFile: async (name: string, baseDir: string) => {
      const full = path.resolve(baseDir, name);
      let text: string | null = null;
      if (full.startsWith(sdkDir)) text = sdkSource(full.slice(sdkDir.length), config);
      else if (full.startsWith(root + path.sep) && full.endsWith(".ts")) text = await readText(full);
      if (text !== null) served.set(full, text);
      return text;
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name === "out.wasm" && typeof contents !== "string") binary = contents;
    },
    listFiles: () => [],
    reportDiagnostic: (d) => {
      if (d.category !== CATEGORY_ERROR) return;
      const where = locate(d.range, root, served);
      first ??= where;
      const at = where === undefined ? "" : `${where.file}:${where.line}:${where.column}: `;
      errors.push(`${at}error: TS${d.code}: ${d.message}`);
    },
  });
  if (result.error !== null || binary === undefined) {
    const detail = errors.length > 0
      ? errors.join("\n")
      : (result.error?.message ?? result.stderr.toString());
    throw new PlanckError("invalid_argument", `Build failed:\n${detail}`, {
      file: first === undefined || first.file.startsWith("planck/") ? first?.file : path.resolve(first.file),
      line: first?.line,
      column: first?.column,
    });
  }
  return binary;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(file);
  } catch {
    return null;
  }
}

interface DiagnosticRange {
  start: number;
  source: { normalizedPath: string };
}

/** file:line:column of a diagnostic: service files relative to the cwd, SDK files as "planck/…". */
function locate(
  range: DiagnosticRange | null,
  root: string,
  served: Map<string, string>,
): { file: string; line: number; column: number } | undefined {
  if (range === null) return undefined;
  const normalized = range.source.normalizedPath;
  const sdk = normalized.startsWith("~lib/planck/");
  const full = sdk ? `${SDK_ROOT}/${normalized.slice(5)}` : path.resolve(root, normalized);
  const text = served.get(full);
  if (text === undefined) return undefined;
  const before = text.slice(0, range.start).split("\n");
  return {
    file: sdk ? normalized.slice(5) : path.relative(Deno.cwd(), full),
    line: before.length,
    column: before[before.length - 1].length + 1,
  };
}

/** Checks the module as deploy will (validate.ts), then calls `planck_describe` with stub imports. */
async function describeModule(
  wasm: Uint8Array,
  entry: string,
): Promise<{ routes: unknown[]; indexes: unknown[]; topics: Record<string, unknown>[] }> {
  const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  const exported = WebAssembly.Module.exports(module).map((e) => e.name);
  const missing = ABI_EXPORTS.filter((name) => !exported.includes(name));
  if (missing.length > 0) {
    throw new PlanckError(
      "invalid_argument",
      `The entry "${entry}" does not export ${missing.join(", ")}: add ` +
        `export { planck_alloc, planck_describe, planck_handle } from "planck";`,
      { file: entry },
    );
  }
  const shape = inspectCompiled(module, wasm);
  const maximum = Math.max(shape.memoryPagesMin, DESCRIBE_MEMORY_PAGES_MAX);
  const memory = new WebAssembly.Memory({ initial: shape.memoryPagesMin, maximum });
  const instance = await WebAssembly.instantiate(module, stubImports(memory));
  const at = (instance.exports[EXPORT_DESCRIBE] as () => number)() >>> 0;
  const view = new DataView(memory.buffer);
  const ptr = view.getUint32(at, true);
  const len = view.getUint32(at + 4, true);
  const doc = deserialize(new Uint8Array(memory.buffer, ptr, len));
  return {
    routes: Array.isArray(doc.routes) ? doc.routes : [],
    indexes: Array.isArray(doc.indexes) ? doc.indexes : [],
    // A native topic is JSON: no render or authorize call into the module (sdk/assemblyscript/topics.ts).
    topics: (Array.isArray(doc.topics) ? doc.topics : []).map((t: Record<string, unknown>) => ({
      ...t,
      format: "json",
      render: false,
      authorize: false,
    })),
  };
}

/** Imports for the one describe call: the host is not there, so a host call fails the build. */
function stubImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  const refuse = (what: string) => () => {
    throw new PlanckError(
      "invalid_argument",
      `The service's start code calls ${what}: only route() and index() may run at start`,
    );
  };
  return {
    env: {
      memory,
      abort: (msg: number, file: number, line: number, column: number) => {
        throw new PlanckError(
          "invalid_argument",
          `The service aborted while starting: ${readGuestString(memory, msg)} at ` +
            `${readGuestString(memory, file)}:${line}:${column}`,
        );
      },
      trace: () => {},
      seed: () => Date.now(),
    },
    planck: {
      request: refuse("planck.request"),
      take: refuse("planck.take"),
      log: () => {},
      now_ms: () => Date.now(),
      random: (ptr: number, len: number) => crypto.getRandomValues(new Uint8Array(memory.buffer, ptr, len)),
    },
  };
}
