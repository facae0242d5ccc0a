/**
 * SSE fan-out benchmark: commit → event delivered on `GET /events?topic=orders` (the orders
 * example's topic, rendered once per event in the guest), with 1, 1,000 and 10,000 loopback
 * subscribers on one topic, the most subscribers one instance holds with p99 under 50 ms, and the
 * server's memory per subscriber. Numbers from a loaded machine are noisy; the table says the load
 * average.
 *
 *   deno run -A bench/sse/main.ts [--quick] [--subscribers=1,1000,10000] [--no-search] [--events=N]
 *                                 [--deno-clients]
 *
 * What is measured: the server runs in this process (host/server.ts `startServer`, durability
 * sync, the orders example deployed); the subscribers run in child processes (bench/sse/clients.ts)
 * so their reading does not share the server's event loop: bench/sse/clients.c (one epoll loop,
 * compiled with `cc` when there is one) or else bench/sse/clients.ts (Deno, about 20 µs per read). "Commit" is the moment the change log
 * hands out the durable group (a tap on `db.changes.next` in the server process, stamped with the
 * wall clock); "delivered" is the moment a subscriber's `read` returns the event's block (stamped
 * with the same clock in the client process). Latency = delivered − commit, over every (event,
 * subscriber) pair; one order is POSTed at a time and the next only once every subscriber has
 * the event.
 *
 * The search for the most subscribers with p99 < 50 ms doubles the count from 1,000 until p99 passes
 * 50 ms (or the bench's cap), then halves the gap twice.
 */
import { connect } from "../../client/mod.ts";
import { defaultConfig } from "../../host/config.ts";
import { startServer } from "../../host/server/server.ts";
import { buildService } from "../../host/wasm/build.ts";
import type { Database } from "../../engine/db/database.ts";
import { SSE_SUBSCRIBERS_MAX } from "../../host/limits.ts";
import { cpuMs, flag, loadAverage, percentile } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA_DIR = `${ROOT}bench/.data/sse-${Deno.pid}`;
/** How long one event may take to reach every subscriber before the size is reported as failing. */
const DELIVERY_TIMEOUT_MS = 60_000;
/** Subscribers per client process (each process holds one descriptor per socket). */
const CLIENTS_PER_PROCESS = 5_000;
/** The latency bound of the capacity search. */
const CAPACITY_P99_MS = 50;
/** The search stops doubling here (the server's own cap, SSE_SUBSCRIBERS_MAX, is above it). */
const CAPACITY_MAX = 16_000;
/** Bisections of the capacity search once it has a count that fits and one that does not. */
const CAPACITY_STEPS = 2;

interface Row {
  subscribers: number;
  events: number;
  p50: number;
  p99: number;
  max: number;
  rtt: number;
  memoryKiB: number | null;
  /** CPU milliseconds per event of the server process (this one) and of the client processes. */
  serverCpu: number;
  clientCpu: number;
  note: string;
}

function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A client process: its line reader and stdin. */
class Clients {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** The highest `all` count announced. */
  all = 0;
  #waiters: (() => void)[] = [];
  #report = Promise.withResolvers<Record<string, number[]>>();
  #connected = Promise.withResolvers<void>();

  constructor(port: number, count: number, native: string | null) {
    const [program, args] = native === null
      ? [Deno.execPath(), ["run", "-A", `${ROOT}bench/sse/clients.ts`, `--port=${port}`, `--count=${count}`]]
      : [native, [String(port), String(count), "orders"]];
    this.#child = new Deno.Command(program, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#lines = lineReader(this.#child.stdout);
    void this.#read();
  }

  get pid(): number {
    return this.#child.pid;
  }

  get connected(): Promise<void> {
    return this.#connected.promise;
  }

  async #read(): Promise<void> {
    while (true) {
      const { value, done } = await this.#lines.next();
      if (done) {
        this.#connected.reject(new Error("a client process exited"));
        this.#report.reject(new Error("a client process exited before its report"));
        for (const waiter of this.#waiters.splice(0)) waiter();
        return;
      }
      const message = JSON.parse(value);
      if (message.connected !== undefined) this.#connected.resolve();
      if (message.all !== undefined) {
        this.all = message.all;
        for (const waiter of this.#waiters.splice(0)) waiter();
      }
      if (message.report !== undefined) this.#report.resolve(message.report);
    }
  }

  /** Resolves once every subscriber of this process has `k` events. */
  async reached(k: number): Promise<void> {
    while (this.all < k) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  async report(): Promise<Record<string, number[]>> {
    await this.#stdin.write(new TextEncoder().encode("report\n"));
    return await this.#report.promise;
  }

  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    await this.#child.status;
  }
}

async function* lineReader(stream: ReadableStream<Uint8Array>): AsyncIterator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let at: number;
    while ((at = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, at);
      pending = pending.slice(at + 1);
    }
  }
}

/** Stamps every durable group's commit LSN with the wall clock as the change log hands it out. */
function tapCommits(db: Database): Map<number, number> {
  const stamps = new Map<number, number>();
  void (async () => {
    let position = db.lastLsn;
    while (true) {
      const groups = await db.changes.next(position).catch(() => null);
      if (groups === null) return;
      const at = wallNow();
      for (const group of groups) {
        stamps.set(group.commitLsn, at);
        // Every LSN of the group maps to its commit (an event's id is its record's LSN).
        for (const record of group.records) stamps.set(record.lsn, at);
        position = group.commitLsn;
      }
    }
  })();
  return stamps;
}

/**
 * Compiles bench/sse/clients.c with the system's C compiler; null (use clients.ts) when there is
 * none or `--deno-clients` is given.
 */
async function nativeClients(): Promise<string | null> {
  if (Deno.args.includes("--deno-clients")) return null;
  const out = `${DATA_DIR}/sse_clients`;
  try {
    const built = await new Deno.Command("cc", {
      args: ["-O2", "-o", out, `${ROOT}bench/sse/clients.c`],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    return built.success ? out : null;
  } catch {
    return null; // no compiler
  }
}

async function post(base: string, title: string): Promise<void> {
  const response = await fetch(`${base}/orders`, {
    method: "POST",
    body: `title=${title}&amount=1`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  await response.body?.cancel();
  if (response.status !== 201) throw new Error(`POST /orders: ${response.status}`);
}

async function runSize(
  base: string,
  port: number,
  stamps: Map<number, number>,
  count: number,
  events: number,
  native: string | null,
): Promise<Row> {
  Deno.memoryUsage(); // settle
  const before = Deno.memoryUsage().rss;
  const processes: Clients[] = [];
  for (let i = 0; i < count; i += CLIENTS_PER_PROCESS) {
    processes.push(new Clients(port, Math.min(CLIENTS_PER_PROCESS, count - i), native));
  }
  const rtts: number[] = [];
  let note = "";
  try {
    await Promise.all(processes.map((p) => p.connected));
    await new Promise((resolve) => setTimeout(resolve, 300)); // every stream live
    const after = Deno.memoryUsage().rss;
    const serverCpu = cpuMs("self");
    const clientCpu = processes.reduce((sum, p) => sum + cpuMs(p.pid), 0);
    for (let e = 1; e <= events && note === ""; e++) {
      const sent = performance.now();
      await post(base, `bench-${e}`);
      rtts.push(performance.now() - sent);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        Promise.all(processes.map((p) => p.reached(e))).then(() => false),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), DELIVERY_TIMEOUT_MS)),
      ]);
      clearTimeout(timer);
      if (timedOut) note = `event ${e} did not reach every subscriber in ${DELIVERY_TIMEOUT_MS / 1000} s`;
    }
    const serverCpuPerEvent = (cpuMs("self") - serverCpu) / events;
    const clientCpuPerEvent = (processes.reduce((sum, p) => sum + cpuMs(p.pid), 0) - clientCpu) / events;
    const latencies: number[] = [];
    for (const process of processes) {
      for (const [lsn, times] of Object.entries(await process.report())) {
        const commit = stamps.get(Number(lsn));
        if (commit === undefined) continue; // not an event of this run
        for (const at of times) latencies.push(at - commit);
      }
    }
    latencies.sort((a, b) => a - b);
    rtts.sort((a, b) => a - b);
    return {
      subscribers: count,
      events,
      p50: latencies.length ? percentile(latencies, 0.5) : NaN,
      p99: latencies.length ? percentile(latencies, 0.99) : NaN,
      max: latencies.length ? latencies[latencies.length - 1] : NaN,
      rtt: rtts.length ? percentile(rtts, 0.5) : NaN,
      memoryKiB: count > 1 ? (after - before) / count / 1024 : null,
      serverCpu: serverCpuPerEvent,
      clientCpu: clientCpuPerEvent,
      note,
    };
  } finally {
    await Promise.all(processes.map((p) => p.close()));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the server sees the sockets close
  }
}

/**
 * The most subscribers with p99 < CAPACITY_P99_MS: doubling from 1,000 up (or halving down) to a
 * count that fits and one that does not, then CAPACITY_STEPS bisections.
 */
async function capacity(
  measure: (count: number) => Promise<Row>,
  rows: Row[],
): Promise<{ held: number; over: number | null }> {
  const fits = (row: Row) => row.note === "" && row.p99 < CAPACITY_P99_MS;
  const at = async (n: number) => {
    const known = rows.find((r) => r.subscribers === n);
    if (known !== undefined) return known;
    const row = await measure(n);
    rows.push(row);
    return row;
  };
  let low = 0;
  let high: number | null = null;
  if (fits(await at(1_000))) {
    low = 1_000;
    for (let n = 2_000; n <= CAPACITY_MAX; n *= 2) {
      if (!fits(await at(n))) {
        high = n;
        break;
      }
      low = n;
    }
  } else {
    high = 1_000;
    for (let n = 500; n >= 100; n = Math.round(n / 2 / 50) * 50) {
      if (fits(await at(n))) {
        low = n;
        break;
      }
      high = n;
    }
  }
  for (let step = 0; step < CAPACITY_STEPS && high !== null && high - low > 100; step++) {
    const n = Math.round((low + high) / 2 / 50) * 50;
    if (fits(await at(n))) low = n;
    else high = n;
  }
  return { held: low, over: high };
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const sizes = (flag("subscribers") ?? "1,1000,10000").split(",").map(Number);
  const search = !Deno.args.includes("--no-search");
  const loadBefore = loadAverage();
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const native = await nativeClients();
  const built = await buildService(`${ROOT}examples/orders`);
  const config = defaultConfig();
  config.dataDir = DATA_DIR;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  let db: Database | undefined;
  const server = await startServer(config, {
    log: () => {},
    signals: false,
    noLogFile: true,
    // The workbench hook hands over the server's live parts: the bench takes the database to
    // stamp commits and serves no workbench.
    workbench: (parts) => {
      db = parts.db;
      return { handler: () => new Response("no workbench in the bench", { status: 404 }), close() {} };
    },
  });
  const rows: Row[] = [];
  let found: { held: number; over: number | null } | undefined;
  try {
    const client = await connect(server.adminConnection!);
    await client.request("deploy", { wasm: built.wasm });
    client.close();
    const stamps = tapCommits(db!);
    const port = server.ports.http;
    const base = `http://127.0.0.1:${port}`;
    const fixed = flag("events");
    const eventsFor = (size: number) =>
      fixed !== undefined ? Number(fixed) : quick ? 5 : size >= 10_000 ? 20 : size >= 1_000 ? 40 : 200;
    const measure = (size: number) => {
      console.error(`bench sse: ${size} subscribers, ${eventsFor(size)} events (load ${loadAverage()})`);
      return runSize(base, port, stamps, size, eventsFor(size), native);
    };
    for (const size of sizes) rows.push(await measure(size));
    if (search && !quick) found = await capacity(measure, rows);
  } finally {
    await server.stop();
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
  const clientKind = native === null ? "bench/sse/clients.ts, Deno" : "bench/sse/clients.c, epoll";
  const ms = (value: number) => Number.isNaN(value) ? "–" : value.toFixed(2);
  rows.sort((a, b) => a.subscribers - b.subscribers);
  const lines = [
    "## SSE fan-out (commit → event delivered)",
    "",
    `One topic (the orders example's, rendered once per event in the guest); N loopback subscribers on raw ` +
    `sockets in ${CLIENTS_PER_PROCESS.toLocaleString("en-US")}-subscriber client processes ` +
    `(${clientKind}); one order POSTed ` +
    `at a time. Latency: the durable commit (the change log hands the group out, in the server process) → ` +
    `the subscriber's read returns the event (in its process), same wall clock, over every (event, subscriber) ` +
    `pair. Memory: server RSS growth per subscriber. Load average before: ${loadBefore}, after: ` +
    `${loadAverage()} on ${navigator.hardwareConcurrency} cores${quick ? " (--quick)" : ""}.`,
    "",
    "| subscribers | events | p50 ms | p99 ms | max ms | POST round trip p50 ms | server CPU ms / event | clients CPU ms / event | memory / subscriber | note |",
    "| ----------: | -----: | -----: | -----: | -----: | ---------------------: | --------------------: | ---------------------: | ------------------: | ---- |",
    ...rows.map((r) =>
      `| ${r.subscribers.toLocaleString("en-US")} | ${r.events} | ${ms(r.p50)} | ${ms(r.p99)} | ${
        ms(r.max)
      } | ` +
      `${ms(r.rtt)} | ${ms(r.serverCpu)} | ${ms(r.clientCpu)} | ${
        r.memoryKiB === null ? "–" : `${r.memoryKiB.toFixed(1)} KiB`
      } | ${r.note} |`
    ),
  ];
  if (found !== undefined) {
    lines.push(
      "",
      `Most subscribers held with p99 < ${CAPACITY_P99_MS} ms: **${found.held.toLocaleString("en-US")}**` +
        (found.over === null
          ? ` (the search's cap ${CAPACITY_MAX.toLocaleString("en-US")} still met it; the server allows ` +
            `${SSE_SUBSCRIBERS_MAX.toLocaleString("en-US")})`
          : ` (${found.over.toLocaleString("en-US")} did not).`),
    );
  }
  console.log(lines.join("\n"));
}

await main();
