/**
 * The SSE benchmark's subscribers, in their own process so that their reading does not run on the
 * server's event loop (bench/sse/main.ts starts one or more of these). Each opens `--count` raw
 * socket subscribers of `GET /events?topic=NAME` and timestamps every event block it reads with
 * the wall clock (`performance.timeOrigin + performance.now()`, sub-millisecond and shared by the
 * processes of one machine), keyed by the block's `id:` (the LSN).
 *
 *   deno run -A bench/sse/clients.ts --port=P --count=N [--topic=orders]
 *
 * Protocol on stdout, one JSON document a line: `{"connected": N}` once every stream answered;
 * `{"all": k}` each time every subscriber has received k events; on the line `report` on stdin,
 * `{"report": {"<lsn>": [epochMs, …]}}`, then the process closes its sockets and exits when stdin
 * ends.
 */
import { flag } from "../lib/run_facts.ts";

/** Subscribers connected at once (a burst of 10,000 SYNs overflows the listen backlog). */
const CONNECT_BATCH = 200;
/** Bytes read per `read` call. */
const READ_BYTES = 64 * 1024;

const port = Number(flag("port"));
const count = Number(flag("count"));
const topic = flag("topic") ?? "orders";
const request = new TextEncoder().encode(`GET /events?topic=${topic} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
const eventPattern = new RegExp(`id: (\\d+)\\nevent: ${topic}\\n`, "g");

const times = new Map<number, number[]>();
/** reached[k]: how many subscribers have received at least k events. */
const reached: number[] = [];
let announced = 0;
const conns: Deno.Conn[] = [];
const encoder = new TextEncoder();

function say(value: unknown): void {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));
}

function received(lsn: number, at: number, seen: number): void {
  let list = times.get(lsn);
  if (list === undefined) times.set(lsn, list = []);
  list.push(at);
  reached[seen] = (reached[seen] ?? 0) + 1;
  while (reached[announced + 1] === count) say({ all: ++announced });
}

async function subscribe(opened: () => void): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conns.push(conn);
  await conn.write(request);
  const buffer = new Uint8Array(READ_BYTES);
  const decoder = new TextDecoder();
  let seen = 0;
  let first = true;
  let carry = "";
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return;
    const at = performance.timeOrigin + performance.now();
    if (first) {
      first = false;
      opened();
    }
    const text = carry + decoder.decode(buffer.subarray(0, n), { stream: true });
    eventPattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    let end = 0;
    while ((match = eventPattern.exec(text)) !== null) {
      received(Number(match[1]), at, ++seen);
      end = eventPattern.lastIndex;
    }
    // A block split across reads: keep its start for the next read.
    carry = text.length - end > 256 ? text.slice(-256) : text.slice(end);
  }
}

let opened = 0;
const allOpen = Promise.withResolvers<void>();
for (let i = 0; i < count; i += CONNECT_BATCH) {
  const batchOpen = Promise.withResolvers<void>();
  let open = 0;
  const size = Math.min(CONNECT_BATCH, count - i);
  for (let j = 0; j < size; j++) {
    void subscribe(() => {
      if (++open === size) batchOpen.resolve();
      if (++opened === count) allOpen.resolve();
    }).catch((error) => {
      console.error(`bench sse clients: ${(error as Error).message}`);
      Deno.exit(1);
    });
  }
  await batchOpen.promise;
}
await allOpen.promise;
say({ connected: count });

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let pending = "";
for await (const chunk of lines) {
  pending += chunk;
  if (!pending.includes("report\n")) continue;
  pending = "";
  say({ report: Object.fromEntries(times) });
}
for (const conn of conns) {
  try {
    conn.close();
  } catch {
    // already closed by the server
  }
}
Deno.exit(0);
