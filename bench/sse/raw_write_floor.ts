/**
 * The floor of a raw SSE listener: what one event costs when it is written straight to each
 * subscriber's socket (`Deno.listen`, one `conn.write` per subscriber per event), with no
 * Deno.serve, no response stream and no Planck. It answers whether a raw `/events` listener could
 * reach p99 < 5 ms at 1,000 subscribers (docs/benchmarks.md, "SSE fan-out").
 *
 *   deno run -A bench/sse/raw_write_floor.ts [--quick] [--subscribers=1000] [--events=50] [--bytes=200]
 *
 * The subscribers are bench/sse/clients.c (one epoll loop in a child process, compiled with `cc`;
 * the bench needs a C compiler). The listener answers each `GET` with an SSE response head, then for
 * every event writes the same block (`id: N`, `event: raw`, a data line padded to `--bytes`) to every
 * connection, without awaiting one write before the next, and waits until every subscriber has it.
 * Measured: this process's CPU (user + system, from /proc) per subscriber per event, and the latency
 * from the start of the fan-out to each subscriber's read (same wall clock), p50/p99 over every
 * (event, subscriber) pair.
 */
import { cpuMs, flag, loadAverage, percentile } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA_DIR = `${ROOT}bench/.data/sse-raw-${Deno.pid}`;
const HEAD = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\n\r\n",
);
/** Events sent first and not measured (the first writes of a connection are slower). */
const WARM_UP_EVENTS = 5;
/** How long the subscribers may take to connect, or to receive one event. */
const WAIT_MS = 60_000;

function block(lsn: number, bytes: number): Uint8Array {
  const head = `id: ${lsn}\nevent: raw\ndata: `;
  return new TextEncoder().encode(`${head}${"x".repeat(Math.max(1, bytes - head.length - 2))}\n\n`);
}

/** Reads the request head of `conn` (the clients send one GET and nothing more). */
async function readRequest(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(1024);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("a subscriber closed before its request");
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
}

async function main(): Promise<void> {
  const subscribers = Number(flag("subscribers") ?? 1000);
  const events = Number(flag("events") ?? (Deno.args.includes("--quick") ? 10 : 50));
  const bytes = Number(flag("bytes") ?? 200);
  const before = loadAverage();
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const binary = `${DATA_DIR}/sse_clients`;
  const built = await new Deno.Command("cc", {
    args: ["-O2", "-o", binary, `${ROOT}bench/sse/clients.c`],
  }).output();
  if (!built.success) throw new Error("bench/sse/raw_write_floor.ts needs a C compiler (cc)");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conn.setNoDelay(true);
      await readRequest(conn);
      await conn.write(HEAD);
      conns.push(conn);
      if (conns.length === subscribers) return;
    }
  })();
  const child = new Deno.Command(binary, {
    args: [String(listener.addr.port), String(subscribers), "raw"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  const nextLine = async (): Promise<string> => {
    const timer = setTimeout(() => {
      throw new Error(`no word from the subscribers in ${WAIT_MS} ms`);
    }, WAIT_MS);
    try {
      while (!pending.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error("the subscribers exited");
        pending += value;
      }
      const at = pending.indexOf("\n");
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      return line;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    while (!(await nextLine()).includes("connected")) { /* wait */ }
    await accepting;
    const started = new Map<number, number>();
    let cpu = 0;
    for (let lsn = 1; lsn <= WARM_UP_EVENTS + events; lsn++) {
      const bytesOut = block(lsn, bytes);
      const cpuBefore = cpuMs("self");
      const start = performance.timeOrigin + performance.now();
      await Promise.all(conns.map((conn) => conn.write(bytesOut)));
      if (lsn > WARM_UP_EVENTS) {
        cpu += cpuMs("self") - cpuBefore;
        started.set(lsn, start);
      }
      while (!(await nextLine()).includes(`"all":${lsn}`)) { /* wait */ }
    }
    await stdin.write(new TextEncoder().encode("report\n"));
    let report = "";
    while (!report.includes('"report"')) report = await nextLine();
    const arrivals = (JSON.parse(report) as { report: Record<string, number[]> }).report;
    const latencies: number[] = [];
    for (const [lsn, times] of Object.entries(arrivals)) {
      const start = started.get(Number(lsn));
      if (start === undefined) continue; // warm-up
      for (const at of times) latencies.push(at - start);
    }
    latencies.sort((a, b) => a - b);
    const perWriteUs = cpu * 1000 / (events * subscribers);
    console.log(
      [
        "## Raw socket write floor (Deno.listen, one write per subscriber per event)",
        "",
        "| subscribers | events | block bytes | p50 ms | p99 ms | max ms | CPU µs / subscriber / event |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        `| ${subscribers} | ${events} | ${bytesOut(bytes)} | ${percentile(latencies, 0.5).toFixed(2)} | ${
          percentile(latencies, 0.99).toFixed(2)
        } | ${latencies[latencies.length - 1].toFixed(2)} | ${perWriteUs.toFixed(2)} |`,
        "",
        `${WARM_UP_EVENTS} warm-up events first, not counted. Latency: from the start of the fan-out to each subscriber's read (${latencies.length} pairs). ` +
        `CPU: this process's user + system time during the writes. Load average ${before} before, ` +
        `${loadAverage()} after.`,
      ].join("\n"),
    );
  } finally {
    await stdin.close().catch(() => {});
    await child.status;
    for (const conn of conns) conn.close();
    try {
      listener.close();
    } catch {
      // closed when the accept loop returned
    }
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
}

function bytesOut(bytes: number): number {
  return block(1, bytes).length;
}

if (import.meta.main) await main();
