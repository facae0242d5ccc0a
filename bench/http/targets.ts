/**
 * The two HTTP targets as subprocesses on free loopback ports: Planck (`main.ts start`, durability
 * sync, with bench/http/service built by `main.ts build`, deployed over the wire and seeded with the
 * data set) and the Hono + node:sqlite peer (bench/http/peer/, loads the same data set itself).
 *
 * Invariants: each target gets a fresh directory under `dataDir`; seeding finishes (durably)
 * before the target is returned; a target that fails to start is stopped before the error escapes.
 */
import { connect } from "../../mod.ts";
import { ServerProcess } from "./server_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SERVICE_DIR = `${ROOT}bench/http/service`;
const NATIVE_SERVICE_DIR = `${ROOT}bench/http/service_native`;
/** The native service's route prefix (service_native/planck.json). */
const NATIVE_PREFIX = "/native";
const PEER_MAIN = `${ROOT}bench/http/peer/peer_hono_sqlite.ts`;
/** The service name in service/planck.json; Planck scopes its stores as `<service>__<store>`. */
const ENGINE_STORES = ["httpbench__items", "httpbench_native__items"];
/** Documents per seeding batch (one atomic group each). */
const SEED_BATCH_DOCS = 1_000;
/** How long a deploy may take (it warms the instance pool). */
const DEPLOY_TIMEOUT_MS = 60_000;

/** A started target. */
export interface HttpTarget {
  name: string;
  label: string;
  baseUrl: string;
  pid: number;
  /** Facts from start-up, e.g. load time. */
  info: string;
  stop(): Promise<void>;
}

async function runOrThrow(args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`deno ${args.join(" ")} failed (exit ${output.code}):\n${text}`);
  return text.trim();
}

/** Inserts every line of `jsonl` into both services' engine stores, keyed by its `id`. */
async function seedPlanck(admin: string, jsonl: string): Promise<number> {
  const client = await connect(admin);
  try {
    const lines = (await Deno.readTextFile(jsonl)).split("\n").filter((l) => l.length > 0);
    for (const store of ENGINE_STORES) {
      for (let i = 0; i < lines.length; i += SEED_BATCH_DOCS) {
        const ops = lines.slice(i, i + SEED_BATCH_DOCS).map((line) => {
          const { id, ...doc } = JSON.parse(line);
          return { op: "insert" as const, store, key: id as string, doc };
        });
        await client.batch(ops);
      }
    }
    return lines.length;
  } finally {
    client.close();
  }
}

/**
 * Starts Planck in `dir`, builds and deploys both bench services (QuickJS tier at "/", native tier
 * under NATIVE_PREFIX) into the one instance, seeds `jsonl` into each one's store. Returns the two
 * tiers as targets of the same process (stopping either stops it).
 */
export async function startPlanck(dir: string, jsonl: string): Promise<[HttpTarget, HttpTarget]> {
  await Deno.mkdir(dir, { recursive: true });
  const wasm = `${dir}/httpbench.wasm`;
  const nativeWasm = `${dir}/httpbench_native.wasm`;
  const built = await runOrThrow(["run", "-A", `${ROOT}main.ts`, "build", SERVICE_DIR, "-o", wasm]);
  const builtNative = await runOrThrow([
    "run",
    "-A",
    `${ROOT}main.ts`,
    "build",
    NATIVE_SERVICE_DIR,
    "-o",
    nativeWasm,
  ]);
  const data = `${dir}/data`;
  const argv = [Deno.execPath(), "run", "-A", `${ROOT}main.ts`, "start", "--data", data];
  argv.push("--wire-port", "0", "--http-port", "0", "--workbench-port", "0");
  const { server } = await ServerProcess.start(argv, { ready: /^planck: ready/, cwd: ROOT });
  try {
    const port = server.log.match(/planck: http listening on [^\n]*:(\d+)/)?.[1];
    if (port === undefined) throw new Error(`planck start printed no http port:\n${server.log}`);
    const admin = (await Deno.readTextFile(`${data}/admin.credentials`)).trim();
    const client = await connect(admin);
    try {
      for (const file of [wasm, nativeWasm]) {
        await client.request("deploy", { wasm: await Deno.readFile(file) }, { timeoutMs: DEPLOY_TIMEOUT_MS });
      }
    } finally {
      client.close();
    }
    const started = performance.now();
    const docs = await seedPlanck(admin, jsonl);
    const seedMs = (performance.now() - started).toFixed(0);
    const stop = () => server.stop();
    return [{
      name: "planck",
      label:
        "Planck: bench/http/service (QuickJS tier .wasm) on the app port, durability sync (group commit)",
      baseUrl: `http://127.0.0.1:${port}`,
      pid: server.pid,
      info: `${built.split("\n").at(-1)}; seeded ${docs} docs per service over the wire in ${seedMs} ms`,
      stop,
    }, {
      name: "planck-native",
      label:
        `Planck: bench/http/service_native (AssemblyScript, native tier) in the same process under ${NATIVE_PREFIX}`,
      baseUrl: `http://127.0.0.1:${port}${NATIVE_PREFIX}`,
      pid: server.pid,
      info: builtNative.split("\n").at(-1) ?? "",
      stop,
    }];
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Starts the Hono + node:sqlite peer on a fresh database in `dir` loaded from `jsonl`. */
export async function startPeer(dir: string, jsonl: string): Promise<HttpTarget> {
  await Deno.mkdir(dir, { recursive: true });
  const argv = [
    Deno.execPath(),
    "run",
    "-A",
    PEER_MAIN,
    `--db=${dir}/peer.db`,
    `--jsonl=${jsonl}`,
    "--sync=full",
  ];
  const { server, match } = await ServerProcess.start(argv, {
    ready: /^READY (http:\/\/127\.0\.0\.1:\d+) ?(.*)$/,
    cwd: ROOT,
  });
  return {
    name: "hono-sqlite",
    label: "Hono 4 on Deno.serve + node:sqlite, WAL, synchronous=FULL (fsync per commit)",
    baseUrl: match[1],
    pid: server.pid,
    info: match[2],
    stop: () => server.stop(),
  };
}
