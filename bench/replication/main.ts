/**
 * Replication benchmark: a primary and one replica as `planck start` subprocesses on loopback.
 * Numbers from a loaded machine are noisy; the table says the load average.
 *
 *   deno run -A bench/replication/main.ts [--quick]
 *
 * 1. Lag under a W6-style load: 8 async durable writers on the primary (over the wire) for D s; the
 *    replica's change stream (a wire `watch` on the replica) sees each write; lag = the time the
 *    replica's event arrives − the time the primary acknowledged the write (after its fsync).
 * 2. Catch-up: the replica stops, the writers run for A s, the replica starts again; catch-up rate =
 *    the LSNs it applied ÷ the time from its "ready" to holding the primary's LSN, beside the rate
 *    the primary wrote them.
 * 3. Reads: 8 readers doing `get` of random keys for D s against the primary alone, then 4 on the
 *    primary and 4 on the replica.
 */
import { connect, type PlanckClient } from "../../client/mod.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA = `${ROOT}bench/.data/replication-${Deno.pid}`;
const quick = Deno.args.includes("--quick");
const LOAD_S = Number(flag("load-s") ?? (quick ? 3 : 10));
const AWAY_S = Number(flag("away-s") ?? (quick ? 3 : 60));
const WRITERS = 8;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

class Server {
  #child: Deno.ChildProcess | null = null;
  constructor(readonly dataDir: string, readonly port: number, readonly replicaOf: string | null) {}

  async start(): Promise<void> {
    const args = [
      "run",
      "-A",
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
        text += decoder.decode(chunk, { stream: true });
        if (text.includes("planck: ready")) ready();
        if (text.length > 100_000) text = text.slice(-10_000);
      }
    };
    void pump(child.stdout);
    void pump(child.stderr);
    await Promise.race([isReady, child.status.then(() => {})]);
    if (!text.includes("planck: ready")) throw new Error(`server did not start:\n${text}`);
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
    replica = new Server(`${DATA}/replica`, freePort(), replicator);
    await replica.start();
    const onReplica = admin.replace(/^[^;]+;/, `127.0.0.1:${replica.port};`);

    // 1. Lag under load.
    const ackedAt = new Map<string, number>();
    const lags: number[] = [];
    const watcher = await connect(onReplica);
    const watching = (async () => {
      for await (const event of watcher.store("bench").watch()) {
        const at = ackedAt.get(event.key);
        if (at !== undefined) lags.push(Math.max(0, performance.now() - at));
        ackedAt.delete(event.key);
      }
    })().catch(() => {});
    const loadWrites = await writeFor(admin, LOAD_S, (key, ms) => ackedAt.set(key, ms));
    const target = await lsnOf(admin);
    while (await lsnOf(onReplica) < target) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    watcher.close();
    await watching;
    lags.sort((a, b) => a - b);

    // 2. Catch-up after the replica was away.
    await replica.stop();
    const awayStart = await lsnOf(admin);
    const awayWrites = await writeFor(admin, AWAY_S);
    const awayEnd = await lsnOf(admin);
    const writeRate = (awayEnd - awayStart) / AWAY_S;
    await replica.start();
    const catchStart = performance.now();
    while (await lsnOf(onReplica) < awayEnd) await new Promise((resolve) => setTimeout(resolve, 5));
    const catchSeconds = (performance.now() - catchStart) / 1000;
    const catchRate = (awayEnd - awayStart) / catchSeconds;

    // 3. Reads.
    const keyClient = await connect(admin);
    const keys = (await keyClient.scan("bench", { limit: 10_000 })).map((doc) => doc.key);
    keyClient.close();
    const alone = await readFor(Array(8).fill(admin), LOAD_S, keys);
    const both = await readFor([...Array(4).fill(admin), ...Array(4).fill(onReplica)], LOAD_S, keys);

    const rows = [
      `| replica lag, ${WRITERS} durable writers for ${LOAD_S} s (${loadWrites} writes, ${lags.length} seen) | p50 ${
        percentile(lags, 0.5).toFixed(1)
      } ms, p99 ${percentile(lags, 0.99).toFixed(1)} ms |`,
      `| catch-up after ${AWAY_S} s away (${awayEnd - awayStart} LSNs, ${awayWrites} writes) | ${
        catchRate.toFixed(0)
      } LSN/s in ${catchSeconds.toFixed(2)} s (from "ready"), ${
        (catchRate / writeRate).toFixed(1)
      }× the write rate ${writeRate.toFixed(0)} LSN/s |`,
      `| reads: 8 readers on the primary alone | ${alone.toFixed(0)} gets/s |`,
      `| reads: 4 on the primary + 4 on the replica | ${both.toFixed(0)} gets/s (${
        (both / alone).toFixed(2)
      }×) |`,
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
