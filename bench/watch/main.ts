/**
 * Change-stream benchmark over the wire, against a `planck start` subprocess (durability sync):
 *
 * 1. latency: one watcher (`client.store("lat").watch()`), one writer doing one insert at a time;
 *    per write, the time from sending the insert to the watcher receiving its event (so it
 *    includes the durable commit), and from the insert's acknowledgement to the event; p50/p99;
 * 2. the write path with and without 100 watchers of the written store, in the same run: W1-style
 *    (one client, one durable insert at a time) and W6-style (8 writer and 8 reader clients, gets
 *    and inserts mixed), writes/s and the ratio; target: watching slows writes by at most 10%.
 *
 * The watchers run in a child process (bench/watch/watchers.ts, 10 connections × 10 watches), not
 * on the writers' event loop; they still share the machine's cores. The server's CPU per write
 * (from /proc) without and with them is the write path's own cost of having watchers: encoding
 * and sending 100 events per write.
 *
 *   deno run -A bench/watch/main.ts [--quick] [--seconds=N] [--writes=N]
 */
import { connect } from "../../mod.ts";
import { openDatabase, Store } from "../../engine/mod.ts";
import { cpuMs, flag, loadAverage, percentile } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const DATA_DIR = `${ROOT}bench/.data/watch-${Deno.pid}`;
const WATCHERS = 100;
const WATCHER_CONNECTIONS = 10;
const W6_WRITERS = 8;
const W6_READERS = 8;
const SLOWDOWN_TARGET = 0.10;

interface Server {
  admin: string;
  pid: number;
  close(): Promise<void>;
}

async function startServer(dataDir: string): Promise<Server> {
  await Deno.mkdir(dataDir, { recursive: true });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "start",
      "--data",
      dataDir,
      "--wire-port",
      "0",
      "--http-port",
      "0",
      "--workbench-port",
      "0",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let output = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!output.includes("planck: ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`planck start exited before it was ready:\n${output}`);
    output += value;
  }
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  const admin = (await Deno.readTextFile(`${dataDir}/admin.credentials`)).trim();
  return {
    admin,
    pid: child.pid,
    async close() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Commit → event latency with one watcher. */
async function latency(
  admin: string,
  writes: number,
): Promise<{ sentP50: number; sentP99: number; ackP50: number; ackP99: number }> {
  const watcher = await connect(admin);
  const writer = await connect(admin);
  try {
    await writer.request("createStore", { store: "lat" });
    const events = watcher.store("lat").watch();
    const sent: number[] = [];
    const acked: number[] = [];
    for (let i = 0; i < writes; i++) {
      const arrived = events.next().then(() => performance.now());
      const start = performance.now();
      await writer.insert("lat", { i, pad: "x".repeat(200) });
      const ack = performance.now();
      const at = await arrived;
      sent.push(at - start);
      acked.push(at - ack);
    }
    await events.return?.();
    sent.sort((a, b) => a - b);
    acked.sort((a, b) => a - b);
    return {
      sentP50: percentile(sent, 0.5),
      sentP99: percentile(sent, 0.99),
      ackP50: percentile(acked, 0.5),
      ackP99: percentile(acked, 0.99),
    };
  } finally {
    watcher.close();
    writer.close();
  }
}

/** W1-style: one client, one durable insert at a time, for `seconds`; writes/s. */
async function w1(admin: string, store: string, seconds: number): Promise<number> {
  const client = await connect(admin);
  try {
    let n = 0;
    const deadline = performance.now() + seconds * 1000;
    const start = performance.now();
    while (performance.now() < deadline) await client.insert(store, { n: n++, pad: "x".repeat(200) });
    return n / ((performance.now() - start) / 1000);
  } finally {
    client.close();
  }
}

/** W6-style: 8 writers (durable inserts) and 8 readers (gets) for `seconds`; writes/s. */
async function w6(admin: string, store: string, seconds: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: W6_WRITERS + W6_READERS }, () => connect(admin)));
  try {
    const key = await clients[0].insert(store, { seed: true });
    let writes = 0;
    const deadline = performance.now() + seconds * 1000;
    const start = performance.now();
    await Promise.all(clients.map(async (client, i) => {
      while (performance.now() < deadline) {
        if (i < W6_WRITERS) {
          await client.insert(store, { w: i, pad: "x".repeat(200) });
          writes++;
        } else await client.get(store, key);
      }
    }));
    return writes / ((performance.now() - start) / 1000);
  } finally {
    for (const client of clients) client.close();
  }
}

/**
 * Opens `WATCHERS` watches of `store` that consume every event, in a child process
 * (bench/watch/watchers.ts): their client-side work runs beside, not inside, the writers' process.
 */
async function watchers(admin: string, store: string): Promise<{ stop(): Promise<number> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}bench/watch/watchers.ts`,
      `--admin=${admin}`,
      `--store=${store}`,
      `--count=${WATCHERS}`,
      `--connections=${WATCHER_CONNECTIONS}`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("ready\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`the watchers process exited before it was ready:\n${output}`);
    output += value;
  }
  output = "";
  return {
    async stop() {
      await child.stdin.close();
      while (true) {
        const { value, done } = await lines.read();
        if (done) break;
        output += value;
      }
      await child.status;
      return Number(output.trim());
    },
  };
}

/**
 * W1-style in process (no wire): durable puts one at a time on the engine for `seconds`, with
 * `watchers` engine watches of the store consuming every event; writes/s. Isolates the engine's
 * fan-out cost (change log, event per watcher) from the wire and the client.
 */
async function engineW1(seconds: number, watchers: number): Promise<number> {
  const dir = await Deno.makeTempDir({ dir: `${ROOT}bench/.data`, prefix: "watch-engine-" });
  const db = await openDatabase(dir);
  try {
    await db.createStore("w1");
    const store = new Store(db, "w1");
    const loops = Array.from({ length: watchers }, () =>
      (async () => {
        for await (const _ of store.watch()) { /* consume */ }
      })());
    let n = 0;
    const deadline = performance.now() + seconds * 1000;
    const start = performance.now();
    while (performance.now() < deadline) await store.put(BigInt(++n), { n, pad: "x".repeat(200) });
    const rate = n / ((performance.now() - start) / 1000);
    await db.close(); // ends the watches
    await Promise.all(loops);
    return rate;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const seconds = Number(flag("seconds") ?? (quick ? 2 : 5));
  const writes = Number(flag("writes") ?? (quick ? 200 : 1000));
  const before = loadAverage();
  const log = (line: string) => console.error(`bench watch: ${line}`);
  const server = await startServer(`${DATA_DIR}/planck`);
  try {
    log(`latency, ${writes} writes, 1 watcher`);
    const lat = await latency(server.admin, writes);
    const rows: string[] = [];
    for (const [name, run] of [["W1", w1], ["W6", w6]] as const) {
      log(`${name} without watchers, ${seconds} s`);
      let cpu = cpuMs(server.pid);
      const bare = await run(server.admin, `${name.toLowerCase()}_bare`, seconds);
      const bareCpu = (cpuMs(server.pid) - cpu) / (bare * seconds) * 1000;
      const store = `${name.toLowerCase()}_watched`;
      const setup = await connect(server.admin);
      await setup.request("createStore", { store });
      setup.close();
      const watching = await watchers(server.admin, store);
      log(`${name} with ${WATCHERS} watchers, ${seconds} s`);
      cpu = cpuMs(server.pid);
      const watched = await run(server.admin, store, seconds);
      const watchedCpu = (cpuMs(server.pid) - cpu) / (watched * seconds) * 1000;
      const received = await watching.stop();
      const slowdown = 1 - watched / bare;
      rows.push(
        `| ${name} | ${bare.toFixed(0)} | ${watched.toFixed(0)} | ${(watched / bare).toFixed(2)}× | ` +
          `${(slowdown * 100).toFixed(1)}% | ${bareCpu.toFixed(0)} → ${
            watchedCpu.toFixed(0)
          } | ${received} | ≤ ${SLOWDOWN_TARGET * 100}% ${slowdown <= SLOWDOWN_TARGET ? "met" : "not met"} |`,
      );
    }
    log(`engine W1 without and with ${WATCHERS} watchers, ${seconds} s each`);
    await Deno.mkdir(`${ROOT}bench/.data`, { recursive: true });
    const engineBare = await engineW1(seconds, 0);
    const engineWatched = await engineW1(seconds, WATCHERS);
    const engineSlowdown = 1 - engineWatched / engineBare;
    rows.push(
      `| W1 in process (engine only) | ${engineBare.toFixed(0)} | ${engineWatched.toFixed(0)} | ` +
        `${(engineWatched / engineBare).toFixed(2)}× | ${(engineSlowdown * 100).toFixed(1)}% | – | – | ` +
        `≤ ${SLOWDOWN_TARGET * 100}% ${engineSlowdown <= SLOWDOWN_TARGET ? "met" : "not met"} |`,
    );
    const markdown = [
      "## Change streams over the wire",
      "",
      "| commit → event (1 watcher) | p50 ms | p99 ms |",
      "| --- | ---: | ---: |",
      `| insert sent → event received (includes the durable commit) | ${lat.sentP50.toFixed(2)} | ${
        lat.sentP99.toFixed(2)
      } |`,
      `| insert acknowledged → event received | ${lat.ackP50.toFixed(2)} | ${lat.ackP99.toFixed(2)} |`,
      "",
      `| workload | writes/s, no watchers | writes/s, ${WATCHERS} watchers | ratio | slowdown | server CPU µs / write, no watchers → watchers | events delivered | target |`,
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
      ...rows,
      "",
      `${writes} sequential inserts for the latency; ${seconds} s per write-path run; documents ≈ 230 B; durability ` +
      `sync; W6 = ${W6_WRITERS} writer + ${W6_READERS} reader connections. The ${WATCHERS} watchers ` +
      `(${WATCHER_CONNECTIONS} connections) run in their own process (bench/watch/watchers.ts); the server's CPU per ` +
      `write says what having them costs the write path itself. Load average ` +
      `${before} before, ${loadAverage()} after.`,
    ].join("\n");
    console.log(markdown);
  } finally {
    await server.close();
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
