/**
 * Replication benchmark: a primary and one replica as `planck start` subprocesses on loopback.
 * Numbers from a loaded machine are noisy; the table says the load average.
 *
 *   deno run -A bench/replication/main.ts [--quick]
 *
 * 1. Lag under a W6-style load: 8 async durable writers on the primary (over the wire) for D s; the
 *    replica's change stream (a wire `watch` on the replica) sees each write; lag = the time the
 *    replica's event arrives − the time the primary acknowledged the write (after its fsync).
 *    Then the same under HTTP POST load: bench/http/service deployed on the primary, 16 concurrent
 *    `POST /item` (durable inserts) for D s; the key comes back in the 201 body.
 * 2. Catch-up: the replica stops, the writers run for A s, the replica starts again; catch-up rate =
 *    the LSNs it applied ÷ the time from its "ready" to holding the primary's LSN, beside the rate
 *    the primary wrote them.
 * 3. Reads: 8 readers doing `get` of random keys for D s against the primary alone, then 4 on the
 *    primary and 4 on the replica.
 */
import { connect, type PlanckClient } from "../../client/mod.ts";
import { cpuMs, flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA = `${ROOT}bench/.data/replication-${Deno.pid}`;
const quick = Deno.args.includes("--quick");
const LOAD_S = Number(flag("load-s") ?? (quick ? 3 : 10));
const AWAY_S = Number(flag("away-s") ?? (quick ? 3 : 60));
const WRITERS = 8;
/** `--catch-up-only`: skip the lag and read phases (for profiling catch-up). */
const CATCH_UP_ONLY = Deno.args.includes("--catch-up-only");
/** PLANCK_BENCH_CPU_PROF=<dir>: the servers run with `--cpu-prof` and write their profiles there. */
const CPU_PROF_DIR = Deno.env.get("PLANCK_BENCH_CPU_PROF");
/** PLANCK_BENCH_ECHO=1: the servers' output is copied to this process's stderr. */
const ECHO = Deno.env.get("PLANCK_BENCH_ECHO") !== undefined;
/** Issue #15's targets: catch-up rate ÷ write rate, and lag p99 in ms. */
const CATCH_UP_RATIO_TARGET = 5;
const LAG_P99_MS_TARGET = 50;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

class Server {
  #child: Deno.ChildProcess | null = null;
  /** The app HTTP port the server printed. */
  httpPort = 0;
  /** The process id of the running server (0 when stopped). */
  get pid(): number {
    return this.#child?.pid ?? 0;
  }
  constructor(readonly dataDir: string, readonly port: number, readonly replicaOf: string | null) {}

  async start(): Promise<void> {
    const args = [
      "run",
      "-A",
      ...(CPU_PROF_DIR === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF_DIR}`]),
      `${ROOT}main.ts`,
      "start",
      "--data",
      this.dataDir,
      "--wire-port",
      String(this.port),
    ];
    args.push("--http-port", "0", "--workbench-port", "0");
    if (this.replicaOf !== null) args.push("--replica-of", this.replicaOf);
    const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).spawn();
    this.#child = child;
    let text = "";
    const decoder = new TextDecoder();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => ready = resolve);
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        if (ECHO) Deno.stderr.writeSync(chunk);
        text += decoder.decode(chunk, { stream: true });
        if (text.includes("planck: ready")) ready();
        if (text.length > 100_000) text = text.slice(-10_000);
      }
    };
    void pump(child.stdout);
    void pump(child.stderr);
    await Promise.race([isReady, child.status.then(() => {})]);
    if (!text.includes("planck: ready")) throw new Error(`server did not start:\n${text}`);
    this.httpPort = Number(/planck: http listening on [^\n]*:(\d+)/.exec(text)?.[1] ?? 0);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null) return;
    child.kill("SIGTERM");
    await child.status;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function lsnOf(connection: string): Promise<number> {
  const client = await connect(connection, { reconnect: false });
  try {
    return Number((await client.replicationStatus()).lsn);
  } finally {
    client.close();
  }
}

/** Runs WRITERS durable writers for `seconds`; calls `acked(key, ms)` per acknowledged write. */
async function writeFor(
  admin: string,
  seconds: number,
  acked?: (key: string, ms: number) => void,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let writes = 0;
  await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    const client = await connect(admin);
    try {
      for (let n = 0; performance.now() < end; n++) {
        const key = await client.insert("bench", { w, n, body: "x".repeat(200) });
        acked?.(key, performance.now());
        writes++;
      }
    } finally {
      client.close();
    }
  }));
  return writes;
}

const HTTP_POSTERS = 16;
const FORM = "user=Bench&status=open&amount=1.25&tags=a,b&note=replication";

/** HTTP_POSTERS concurrent `POST /item` for `seconds`; calls `acked(key, ms)` per 201. */
async function postFor(
  baseUrl: string,
  seconds: number,
  acked: (key: string, ms: number) => void,
): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let posts = 0;
  await Promise.all(Array.from({ length: HTTP_POSTERS }, async () => {
    while (performance.now() < end) {
      const response = await fetch(`${baseUrl}/item`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: FORM,
      });
      const text = await response.text();
      const key = /id="item-([0-9a-f]{32})"/.exec(text)?.[1];
      if (response.status !== 201 || key === undefined) {
        throw new Error(`POST /item: ${response.status} ${text}`);
      }
      acked(key, performance.now());
      posts++;
    }
  }));
  return posts;
}

/**
 * Runs `load` while a watch of `store` on the replica records, per acknowledged key, the time from
 * the primary's acknowledgement to the replica's event. Returns the sorted lags and the writes.
 */
async function lagUnder(
  admin: string,
  onReplica: string,
  store: string,
  load: (acked: (key: string, ms: number) => void) => Promise<number>,
): Promise<{ lags: number[]; writes: number }> {
  const ackedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  const lags: number[] = [];
  const watcher = await connect(onReplica);
  const watching = (async () => {
    for await (const event of watcher.store(store).watch()) {
      const at = ackedAt.get(event.key);
      if (at === undefined) seenAt.set(event.key, performance.now()); // the event beat the response
      else lags.push(Math.max(0, performance.now() - at));
      ackedAt.delete(event.key);
    }
  })().catch(() => {});
  const writes = await load((key, ms) => {
    const seen = seenAt.get(key);
    if (seen === undefined) ackedAt.set(key, ms);
    else {
      lags.push(0);
      seenAt.delete(key);
    }
  });
  const target = await lsnOf(admin);
  while (await lsnOf(onReplica) < target) await new Promise((resolve) => setTimeout(resolve, 10));
  // Every event is on the replica now; give the watch a bounded while to deliver the last ones.
  const deadline = performance.now() + 5_000;
  while (lags.length < writes && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  watcher.close();
  await watching;
  return { lags: lags.sort((a, b) => a - b), writes };
}

async function readFor(targets: string[], seconds: number, keys: string[]): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let reads = 0;
  await Promise.all(targets.map(async (target) => {
    const client: PlanckClient = await connect(target);
    try {
      while (performance.now() < end) {
        await client.get("bench", keys[Math.floor(Math.random() * keys.length)]);
        reads++;
      }
    } finally {
      client.close();
    }
  }));
  return reads / seconds;
}

/** Builds bench/http/service and deploys it on the primary (the HTTP POST lag phase). */
async function deployHttpService(admin: string): Promise<void> {
  const wasm = `${DATA}/httpbench.wasm`;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "build", `${ROOT}bench/http/service`, "-o", wasm],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!built.success) throw new Error(`planck build failed: ${new TextDecoder().decode(built.stderr)}`);
  const deployer = await connect(admin);
  await deployer.request("deploy", { wasm: await Deno.readFile(wasm) }, { timeoutMs: 60_000 });
  deployer.close();
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  await Deno.mkdir(DATA, { recursive: true });
  const primary = new Server(`${DATA}/primary`, freePort(), null);
  let replica: Server | null = null;
  try {
    await primary.start();
    const admin = (await Deno.readTextFile(`${primary.dataDir}/admin.credentials`)).trim();
    const root = await connect(admin);
    const replicatorKey = await root.users.create("replicator", "replication");
    await root.insert("bench", { warm: true });
    root.close();
    const replicator = admin.replace("uid=admin", "uid=replicator").replace(
      /key=[^;]+/,
      `key=${replicatorKey}`,
    );
    if (!CATCH_UP_ONLY) await deployHttpService(admin);
    replica = new Server(`${DATA}/replica`, freePort(), replicator);
    await replica.start();
    const onReplica = admin.replace(/^[^;]+;/, `127.0.0.1:${replica.port};`);

    // 1. Lag under load: W6-style wire writers, then HTTP POST.
    const wire = CATCH_UP_ONLY
      ? null
      : await lagUnder(admin, onReplica, "bench", (acked) => writeFor(admin, LOAD_S, acked));
    let http = null;
    if (!CATCH_UP_ONLY) {
      const base = `http://127.0.0.1:${primary.httpPort}`;
      await postFor(base, 1, () => {}); // creates the service's store and warms its pool
      const warmed = await lsnOf(admin);
      while (await lsnOf(onReplica) < warmed) await new Promise((resolve) => setTimeout(resolve, 10));
      http = await lagUnder(admin, onReplica, "httpbench__items", (acked) => postFor(base, LOAD_S, acked));
    }

    // 2. Catch-up after the replica was away.
    await replica.stop();
    const awayStart = await lsnOf(admin);
    const awayWrites = await writeFor(admin, AWAY_S);
    const awayEnd = await lsnOf(admin);
    const writeRate = (awayEnd - awayStart) / AWAY_S;
    await replica.start();
    const catchStart = performance.now();
    const cpuBefore = { replica: cpuMs(replica.pid), primary: cpuMs(primary.pid) };
    // One connection polls (a fresh login per poll would load the replica being measured).
    const poller = await connect(onReplica, { reconnect: false });
    try {
      while (Number((await poller.replicationStatus()).lsn) < awayEnd) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      poller.close();
    }
    const catchSeconds = (performance.now() - catchStart) / 1000;
    const catchRate = (awayEnd - awayStart) / catchSeconds;
    const catchCpu = {
      replica: cpuMs(replica.pid) - cpuBefore.replica,
      primary: cpuMs(primary.pid) - cpuBefore.primary,
    };

    // 3. Reads.
    let alone = NaN;
    let both = NaN;
    if (!CATCH_UP_ONLY) {
      const keyClient = await connect(admin);
      const keys = (await keyClient.scan("bench", { limit: 10_000 })).map((doc) => doc.key);
      keyClient.close();
      alone = await readFor(Array(8).fill(admin), LOAD_S, keys);
      both = await readFor([...Array(4).fill(admin), ...Array(4).fill(onReplica)], LOAD_S, keys);
    }

    const lagRow = (what: string, lag: { lags: number[]; writes: number } | null, unit: string) =>
      lag === null ? [] : [
        `| replica lag, ${what} (${lag.writes} ${unit}, ${lag.lags.length} seen) | p50 ${
          percentile(lag.lags, 0.5).toFixed(1)
        } ms, p99 ${percentile(lag.lags, 0.99).toFixed(1)} ms (target < ${LAG_P99_MS_TARGET}: ${
          percentile(lag.lags, 0.99) < LAG_P99_MS_TARGET ? "**PASS**" : "**FAIL**"
        }) |`,
      ];
    const lsns = awayEnd - awayStart;
    const rows = [
      ...lagRow(`${WRITERS} durable wire writers for ${LOAD_S} s`, wire, "writes"),
      ...lagRow(`${HTTP_POSTERS} concurrent HTTP POST /item for ${LOAD_S} s`, http, "posts"),
      `| catch-up after ${AWAY_S} s away (${lsns} LSNs, ${awayWrites} writes) | ${
        catchRate.toFixed(0)
      } LSN/s in ${catchSeconds.toFixed(2)} s (from "ready"), ${
        (catchRate / writeRate).toFixed(1)
      }× the write rate ${writeRate.toFixed(0)} LSN/s (target ≥ ${CATCH_UP_RATIO_TARGET}×: ${
        catchRate / writeRate >= CATCH_UP_RATIO_TARGET ? "**PASS**" : "**FAIL**"
      }) |`,
      `| CPU during catch-up (replica / primary) | ${(catchCpu.replica / 1000).toFixed(2)} s / ${
        (catchCpu.primary / 1000).toFixed(2)
      } s = ${(catchCpu.replica * 1000 / lsns).toFixed(1)} / ${
        (catchCpu.primary * 1000 / lsns).toFixed(1)
      } µs per LSN |`,
      ...(CATCH_UP_ONLY ? [] : [
        `| reads: 8 readers on the primary alone | ${alone.toFixed(0)} gets/s |`,
        `| reads: 4 on the primary + 4 on the replica | ${both.toFixed(0)} gets/s (${
          (both / alone).toFixed(2)
        }×) |`,
      ]),
    ];
    console.log(
      [
        "### Replication",
        "",
        "| measure | result |",
        "| --- | --- |",
        ...rows,
        "",
        `Load average before ${loadBefore}, after ${loadAverage()} on ${navigator.hardwareConcurrency} cores ` +
        "(client, primary and replica share the machine).",
      ].join("\n"),
    );
  } finally {
    await replica?.stop();
    await primary.stop();
    await Deno.remove(DATA, { recursive: true }).catch(() => {});
  }
}

await main();
