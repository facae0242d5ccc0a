/**
 * SSE fan-out benchmark: commit → event delivered on `GET /events?topic=orders` (the orders
 * example's topic, rendered once per event in the guest), with 1, 1,000 and 10,000 loopback
 * subscribers on one topic, and the server's memory per subscriber. Numbers from a loaded machine
 * are noisy; the table says the load average.
 *
 *   deno run -A bench/sse/main.ts [--quick] [--subscribers=1,1000,10000]
 *
 * Steps: 1. `planck start` as a subprocess on a fresh data directory under bench/.data/, the orders
 * example deployed; 2. per size: the server's RSS, N raw-socket subscribers connected (each reads
 * its chunked stream and looks for the next order's title), the RSS again; 3. one order POSTed at
 * a time: the time from sending the POST to each subscriber seeing its event, and the POST's own
 * round trip (its answer is released once the write is durable, so "after commit" ≈ delivery −
 * round trip); 4. p50/p99 over every (event, subscriber) pair; 5. stop, remove, print markdown.
 */
import { connect } from "../../client/mod.ts";
import { buildService } from "../../host/wasm/build.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";
import { ServerProcess } from "../http/server_process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA_DIR = `${ROOT}bench/.data/sse-${Deno.pid}`;
/** How long one event may take to reach every subscriber before the size is reported as failing. */
const DELIVERY_TIMEOUT_MS = 60_000;
/** Subscribers connected at once (a burst of 10,000 SYNs overflows the listen backlog). */
const CONNECT_BATCH = 200;

interface Subscriber {
  conn: Deno.Conn;
  /** Index of the next order this subscriber waits for. */
  next: number;
  text: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function subscribe(port: number, onEvent: (s: Subscriber, atMs: number) => void): Promise<Subscriber> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`GET /events?topic=orders HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`));
  const subscriber: Subscriber = { conn, next: 0, text: "" };
  const decoder = new TextDecoder();
  void (async () => {
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      subscriber.text += decoder.decode(buffer.subarray(0, n), { stream: true });
      while (subscriber.text.includes(`<span>bench-${subscriber.next}</span>`)) {
        const at = subscriber.text.indexOf(`<span>bench-${subscriber.next}</span>`);
        subscriber.text = subscriber.text.slice(at + 10);
        onEvent(subscriber, performance.now());
        subscriber.next++;
      }
      if (subscriber.text.length > 4096) subscriber.text = subscriber.text.slice(-512);
    }
  })();
  return subscriber;
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
  server: ServerProcess,
  base: string,
  port: number,
  count: number,
  events: number,
  offset: number,
): Promise<Record<string, string>> {
  const before = rssBytes(server.pid);
  const latencies: number[] = [];
  const rtts: number[] = [];
  let sentAt = 0;
  let waiting = 0;
  let allIn: () => void = () => {};
  const subscribers: Subscriber[] = [];
  const onEvent = (_s: Subscriber, at: number) => {
    latencies.push(at - sentAt);
    if (--waiting === 0) allIn();
  };
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - i) }, () => subscribe(port, onEvent));
    subscribers.push(...await Promise.all(batch));
  }
  for (const s of subscribers) s.next = offset;
  await new Promise((resolve) => setTimeout(resolve, 500)); // every stream open and caught up
  const after = rssBytes(server.pid);
  let failure = "";
  for (let e = 0; e < events && failure === ""; e++) {
    waiting = count;
    const delivered = new Promise<void>((resolve) => allIn = resolve);
    sentAt = performance.now();
    await post(base, `bench-${offset + e}`);
    rtts.push(performance.now() - sentAt);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      delivered.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), DELIVERY_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
    if (timedOut) failure = `event ${e}: ${waiting} of ${count} subscribers did not get it in time`;
  }
  for (const s of subscribers) s.conn.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  latencies.sort((a, b) => a - b);
  rtts.sort((a, b) => a - b);
  return {
    subscribers: count.toLocaleString("en-US"),
    events: String(events),
    p50: latencies.length ? percentile(latencies, 0.5).toFixed(2) : "–",
    p99: latencies.length ? percentile(latencies, 0.99).toFixed(2) : "–",
    rtt: rtts.length ? percentile(rtts, 0.5).toFixed(2) : "–",
    memory: count > 1 ? `${((after - before) / count / 1024).toFixed(1)} KiB` : "–",
    note: failure,
  };
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const sizes = (flag("subscribers") ?? "1,1000,10000").split(",").map(Number);
  const loadBefore = loadAverage();
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const built = await buildService(`${ROOT}examples/orders`);
  const { server, match } = await ServerProcess.start(
    [
      Deno.execPath(),
      "run",
      "-A",
      `${ROOT}main.ts`,
      "start",
      "--data",
      DATA_DIR,
      "--wire-port",
      "0",
      "--http-port",
      "0",
      "--workbench-port",
      "0",
    ],
    { ready: /http listening on [^\s]+:(\d+)/, cwd: ROOT },
  );
  const rows: Record<string, string>[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const admin = (await Deno.readTextFile(`${DATA_DIR}/admin.credentials`)).trim();
    const client = await connect(admin);
    await client.request("deploy", { wasm: built.wasm });
    client.close();
    const port = Number(match[1]);
    const base = `http://127.0.0.1:${port}`;
    let offset = 0;
    for (const size of sizes) {
      const events = quick ? 5 : size >= 10_000 ? 20 : size >= 1_000 ? 50 : 200;
      console.error(`bench sse: ${size} subscribers, ${events} events`);
      rows.push(await runSize(server, base, port, size, events, offset));
      offset += events;
    }
  } finally {
    await server.stop();
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
  const lines = [
    "## SSE fan-out (commit → event delivered)",
    "",
    `One topic (the orders example's, rendered once per event in the guest), N loopback subscribers on raw ` +
    `sockets, one order POSTed at a time. Latency: POST sent → the subscriber has the event, over every ` +
    `(event, subscriber) pair; the POST's answer comes once the write is durable, so after-commit delivery ≈ ` +
    `latency − POST round trip. Memory: server RSS growth per subscriber. Load average before: ${loadBefore}, ` +
    `after: ${loadAverage()} on ${navigator.hardwareConcurrency} cores${quick ? " (--quick)" : ""}.`,
    "",
    "| subscribers | events | p50 ms | p99 ms | POST round trip p50 ms | memory / subscriber | note |",
    "| ----------- | ------ | ------ | ------ | ---------------------- | ------------------- | ---- |",
    ...rows.map((r) =>
      `| ${r.subscribers} | ${r.events} | ${r.p50} | ${r.p99} | ${r.rtt} | ${r.memory} | ${r.note} |`
    ),
  ];
  console.log(lines.join("\n"));
}

await main();
