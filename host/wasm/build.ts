/**
 * `planck build`: bundles a TypeScript service (an entry module whose default export is an App)
 * with esbuild (the wasm build, so no native binary and no node_modules are needed) into one
 * script, asks the script for its routes, indexes and assets, and packs the host's pinned QuickJS
 * engine plus the custom sections `planck.engine`, `planck.manifest` and `planck.js` into a `.wasm`.
 *
 * Resolution: relative imports are read from disk; `planck`, `planck/mod.ts` and any `mod.ts`
 * outside the service directory resolve to the embedded guest library (builder + framework);
 * other bare imports are refused. Files under `<dir>/static/` become packed assets at `/static/…`.
 *
 * The bundle ends with an inline source map (host/wasm/source_map.ts) so the host reports guest
 * stacks at the user's file:line:column.
 *
 * Invariants: a build error names file:line:column; the output's engine bytes are exactly the
 * host's engine, so deploy's pin check passes on the host that built it.
 */
import { bytesToHex } from "../../protocol/hex.ts";
import * as path from "node:path";
import { PlanckError } from "../../protocol/errors.ts";
import { encodeBase64 } from "../../framework/tagged_json.ts";
import {
  ABI_VERSION,
  parseManifest,
  SECTION_ENGINE,
  SECTION_JS,
  SECTION_MANIFEST,
  type ServiceManifest,
} from "../../protocol/abi.ts";
import { GUEST_ENTRY, GUEST_ENTRY_SOURCE, GUEST_SOURCES } from "./guest_sources.ts";
import { appendCustomSection } from "../guest/sections.ts";
import { BUNDLE_FILE, INLINE_MAP_PREFIX } from "./source_map.ts";
import { engineBytes, enginePin, ServiceInstance } from "./runtime.ts";
import * as esbuild from "esbuild-wasm/esm/browser.js";

const ESBUILD_WASM = "npm:esbuild-wasm@0.25.0/esbuild.wasm";
/** Entry file names tried in order when planck.json names none. */
const ENTRY_CANDIDATES = ["service.ts", "main.ts", "app.ts", "service.tsx"];
const LOADERS: Record<string, esbuild.Loader> = {
  ".ts": "ts",
  ".tsx": "tsx",
  ".js": "js",
  ".mjs": "js",
  ".jsx": "jsx",
  ".json": "json",
  ".html": "text",
  ".txt": "text",
  ".css": "text",
};
const CONTENT_TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};
/** Bytes of all packed assets together. */
const ASSETS_BYTES_MAX = 8 * 1024 * 1024;

let initialized: Promise<void> | undefined;

function initEsbuild(): Promise<void> {
  initialized ??= (async () => {
    const bytes = await Deno.readFile(new URL(import.meta.resolve(ESBUILD_WASM)));
    await esbuild.initialize({ wasmModule: await WebAssembly.compile(bytes), worker: false });
  })();
  return initialized;
}

/** What `buildService` produced. */
export interface BuildResult {
  wasm: Uint8Array;
  manifest: ServiceManifest;
  bundleBytes: number;
}

interface ServiceConfig {
  name: string;
  version: string;
  entry: string;
  prefix: string;
  schedules: unknown;
}

async function readConfig(dir: string): Promise<ServiceConfig> {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(await Deno.readTextFile(path.join(dir, "planck.json")));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new PlanckError(
        "invalid_argument",
        `Cannot read "${path.join(dir, "planck.json")}": ${(error as Error).message}`,
        {
          file: path.join(dir, "planck.json"),
        },
      );
    }
  }
  const name = typeof raw.name === "string"
    ? raw.name
    : path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9_]/g, "_");
  let entry = typeof raw.entry === "string" ? raw.entry : undefined;
  if (entry === undefined) {
    for (const candidate of ENTRY_CANDIDATES) {
      if (await exists(path.join(dir, candidate))) {
        entry = candidate;
        break;
      }
    }
  }
  if (entry === undefined) {
    throw new PlanckError(
      "invalid_argument",
      `No service entry in "${dir}": add one of ${
        ENTRY_CANDIDATES.join(", ")
      } or name it in planck.json ("entry")`,
      { file: dir },
    );
  }
  return {
    name,
    version: typeof raw.version === "string" ? raw.version : "0.0.0",
    entry: path.resolve(dir, entry),
    prefix: typeof raw.prefix === "string" && raw.prefix !== "/" ? raw.prefix : "",
    schedules: raw.schedules, // checked by parseManifest, scoped at deploy
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await Deno.stat(file)).isFile;
  } catch {
    return false;
  }
}

/** The absolute path of the service entry in `dir` (planck.json's "entry", else the first candidate). */
export async function serviceEntry(dir: string): Promise<string> {
  return (await readConfig(path.resolve(dir))).entry;
}

/** Bundles the service in `dir` and packs it into a `.wasm`. @throws PlanckError with file, line and column */
export async function buildService(dir: string): Promise<BuildResult> {
  const root = path.resolve(dir);
  const config = await readConfig(root);
  const assets = await collectAssets(path.join(root, "static"));
  const bundle = await bundleService(root, config.entry, assets, config.prefix);
  const describe = await describeBundle(bundle);
  const manifest = parseManifest(
    JSON.stringify({
      name: config.name,
      version: config.version,
      abi: ABI_VERSION,
      tier: "js",
      prefix: config.prefix,
      ...describe,
      schedules: config.schedules,
    }),
  );
  const encoder = new TextEncoder();
  let wasm = await engineBytes();
  wasm = appendCustomSection(wasm, SECTION_ENGINE, encoder.encode(JSON.stringify(await enginePin())));
  wasm = appendCustomSection(wasm, SECTION_MANIFEST, encoder.encode(JSON.stringify(manifest)));
  wasm = appendCustomSection(wasm, SECTION_JS, encoder.encode(bundle));
  return { wasm, manifest, bundleBytes: bundle.length };
}

/** Loads the bundle once to read its routes, indexes and assets. */
async function describeBundle(bundle: string): Promise<Record<string, unknown>> {
  let instance: ServiceInstance | undefined;
  try {
    instance = await ServiceInstance.create(bundle, { memoryBytes: 64 * 1024 * 1024 });
    return JSON.parse(await instance.call("__planck_describe", "", { deadlineMs: Date.now() + 5_000 }));
  } catch (error) {
    throw new PlanckError(
      "invalid_argument",
      `The service bundle does not load: ${(error as Error).message}`,
      {},
      {
        cause: error,
      },
    );
  } finally {
    instance?.dispose();
  }
}

interface PackedAsset {
  contentType: string;
  etag: string;
  base64: string;
}

async function collectAssets(dir: string, prefix = "/static"): Promise<Record<string, PackedAsset>> {
  const out: Record<string, PackedAsset> = {};
  let total = 0;
  const walk = async (at: string, url: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(at));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(at, entry.name);
      if (entry.isDirectory) await walk(file, `${url}/${entry.name}`);
      if (!entry.isFile) continue;
      const bytes = await Deno.readFile(file);
      total += bytes.length;
      if (total > ASSETS_BYTES_MAX) {
        throw new PlanckError(
          "limit_exceeded",
          `Static assets exceed ${ASSETS_BYTES_MAX} bytes at "${file}"`,
          { file },
        );
      }
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
      const etag = `"${bytesToHex(digest.subarray(0, 8))}"`;
      const contentType = CONTENT_TYPES[path.extname(entry.name).toLowerCase()] ?? "application/octet-stream";
      out[`${url}/${entry.name}`] = { contentType, etag, base64: encodeBase64(bytes) };
    }
  };
  await walk(dir, prefix);
  return out;
}

const EMBEDDED = "planck-embedded";
const ASSETS_MODULE = "planck:assets";

function wrapperSource(entry: string, prefix: string): string {
  return [
    `import * as entry from ${JSON.stringify(entry)};`,
    `import { serve } from "planck";`,
    `import assets from ${JSON.stringify(ASSETS_MODULE)};`,
    `const app = entry.default ?? entry.app;`,
    `if (app === undefined || typeof app.fetch !== "function") {`,
    `  throw new Error("The service entry must export default an App (createApp())");`,
    `}`,
    `app.assets(assets);`,
    `app.mount(${JSON.stringify(prefix)});`,
    `serve(app);`,
  ].join("\n");
}

function assetsSource(assets: Record<string, PackedAsset>): string {
  const lines = [`import { decodeBase64 } from "planck:tagged_json";`, `export default {`];
  for (const [url, a] of Object.entries(assets)) {
    lines.push(
      `  ${JSON.stringify(url)}: { contentType: ${JSON.stringify(a.contentType)}, etag: ${
        JSON.stringify(a.etag)
      }, body: decodeBase64(${JSON.stringify(a.base64)}) },`,
    );
  }
  lines.push("};");
  return lines.join("\n");
}

function isPlanckImport(spec: string, importer: string, root: string, namespace: string): string | undefined {
  if (namespace === EMBEDDED) return undefined;
  if (spec === "planck" || spec === "planck/mod.ts") return GUEST_ENTRY;
  if (spec === "planck:tagged_json") return "framework/tagged_json.ts";
  if ((spec.startsWith(".") || spec.startsWith("/")) && path.basename(spec) === "mod.ts") {
    const resolved = path.resolve(path.dirname(importer), spec);
    if (!resolved.startsWith(root + path.sep)) return GUEST_ENTRY;
  }
  return undefined;
}

async function bundleService(
  root: string,
  entry: string,
  assets: Record<string, PackedAsset>,
  prefix: string,
): Promise<string> {
  await initEsbuild();
  const plugin: esbuild.Plugin = {
    name: "planck",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.path === ASSETS_MODULE) return { path: ASSETS_MODULE, namespace: "planck-assets" };
        const embedded = isPlanckImport(args.path, args.importer, root, args.namespace);
        if (embedded !== undefined) return { path: embedded, namespace: EMBEDDED };
        if (args.namespace === EMBEDDED) {
          return {
            path: path.posix.normalize(path.posix.join(path.posix.dirname(args.importer), args.path)),
            namespace: EMBEDDED,
          };
        }
        if (!args.path.startsWith(".") && !args.path.startsWith("/")) {
          return {
            errors: [{
              text: `Cannot import "${args.path}": a service imports only relative files and "planck"`,
            }],
          };
        }
        return { path: path.resolve(args.resolveDir, args.path), namespace: "file" };
      });
      build.onLoad({ filter: /.*/, namespace: EMBEDDED }, (args) => {
        const contents = args.path === GUEST_ENTRY ? GUEST_ENTRY_SOURCE : GUEST_SOURCES[args.path];
        if (contents === undefined) {
          return { errors: [{ text: `Planck guest library has no "${args.path}"` }] };
        }
        return { contents, loader: "ts" };
      });
      build.onLoad(
        { filter: /.*/, namespace: "planck-assets" },
        () => ({ contents: assetsSource(assets), loader: "js" }),
      );
      build.onLoad({ filter: /.*/, namespace: "file" }, async (args) => {
        const loader = LOADERS[path.extname(args.path).toLowerCase()];
        if (loader === undefined) {
          return { errors: [{ text: `Cannot bundle "${args.path}": unknown file type` }] };
        }
        try {
          return {
            contents: await Deno.readTextFile(args.path),
            loader,
            resolveDir: path.dirname(args.path),
          };
        } catch (error) {
          return { errors: [{ text: `Cannot read "${args.path}": ${(error as Error).message}` }] };
        }
      });
    },
  };
  try {
    const result = await esbuild.build({
      stdin: {
        contents: wrapperSource(entry, prefix),
        loader: "ts",
        resolveDir: root,
        sourcefile: "<planck entry>",
      },
      bundle: true,
      write: false,
      format: "iife",
      target: "es2023",
      minify: true,
      sourcemap: "external",
      sourcesContent: false,
      outfile: BUNDLE_FILE,
      absWorkingDir: root,
      charset: "utf8",
      logLevel: "silent",
      plugins: [plugin],
    });
    const js = result.outputFiles.find((f) => f.path.endsWith(".js"))!.text;
    const map = result.outputFiles.find((f) => f.path.endsWith(".map"))!.text;
    return `${js}${js.endsWith("\n") ? "" : "\n"}${inlineMap(map)}\n`;
  } catch (error) {
    throw buildError(error);
  }
}

/**
 * The inline map line ending the bundle (host/wasm/source_map.ts): sources relative to the service
 * directory, the guest library's as `planck:<path>`, the generated wrapper as `<planck entry>`.
 */
function inlineMap(mapText: string): string {
  const map = JSON.parse(mapText) as { sources: string[] };
  map.sources = map.sources.map((source) => {
    const plain = decodeURIComponent(source);
    return plain in GUEST_SOURCES || plain === GUEST_ENTRY ? `planck:${plain}` : plain;
  });
  return `${INLINE_MAP_PREFIX}${encodeBase64(new TextEncoder().encode(JSON.stringify(map)))}`;
}

function buildError(error: unknown): PlanckError {
  const failure = error as { errors?: esbuild.Message[] };
  const first = failure.errors?.[0];
  if (first === undefined) {
    return new PlanckError("invalid_argument", `Build failed: ${(error as Error).message}`);
  }
  const lines = failure.errors!.map((m) => {
    const where = m.location === null
      ? ""
      : `${path.relative(Deno.cwd(), path.resolve("/", m.location.file))}:${m.location.line}:${
        m.location.column + 1
      }: `;
    return `${where}error: ${m.text}`;
  });
  const loc = first.location;
  return new PlanckError("invalid_argument", `Build failed:\n${lines.join("\n")}`, {
    file: loc ? path.resolve("/", loc.file) : undefined,
    line: loc?.line,
    column: loc === null || loc === undefined ? undefined : loc.column + 1,
  });
}
