/**
 * The three floor servers of bench/http/serve_floor.ts, each answering every request with the same
 * fixed 200 HTML body, so what they cost is the HTTP path alone:
 *
 * - `deno-serve`   bare `Deno.serve`, the handler returns `new Response(BODY, HEADERS)`;
 * - `deno-listen`  a minimal HTTP/1.1 keep-alive server in TypeScript on `Deno.listen`: read into a
 *                  buffer, find CRLFCRLF, parse the request line and `content-length`, answer with
 *                  one pre-encoded response (one `write` per response), pipelined requests in order;
 * - `node-http`    `node:http` `createServer`, `writeHead` + `end`.
 *
 *   deno run -A bench/http/floor_servers.ts --kind=deno-serve|deno-listen|node-http
 *
 * Prints `READY http://127.0.0.1:<port>` once listening; exits on SIGTERM.
 *
 * Invariants: loopback only; a request whose head outgrows READ_BUFFER_BYTES, or that is not
 * HTTP/1.x, closes its connection (deno-listen); every request is answered in order.
 */
import { createServer } from "node:http";
import { flag } from "../lib/run_facts.ts";

/** The body every floor server sends: about the size of a GET /item/:key answer. */
export const FLOOR_BODY = `<article id="item-00000000000000000000000000000000">
  <h2>Ada Lovelace #12345</h2>
  <p>open · 123.45</p>
  <ul><li>gift</li><li>express</li></ul>
</article>
`;
/** The floor servers this file can start. */
export const FLOOR_KINDS = ["deno-serve", "deno-listen", "node-http"] as const;
export type FloorKind = typeof FLOOR_KINDS[number];

const CONTENT_TYPE = "text/html; charset=UTF-8";
/** Bytes of request head (and body) one connection may buffer. */
const READ_BUFFER_BYTES = 64 * 1024;
const CR = 13;
const LF = 10;

function ready(port: number): void {
  console.log(`READY http://127.0.0.1:${port}`);
}

function serveDeno(): Deno.HttpServer {
  const headers = { "content-type": CONTENT_TYPE };
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => ready(port) },
    () => new Response(FLOOR_BODY, { headers }),
  );
}

function serveNode(): void {
  const length = String(new TextEncoder().encode(FLOOR_BODY).length);
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": CONTENT_TYPE, "content-length": length });
    res.end(FLOOR_BODY);
  });
  server.listen(0, "127.0.0.1", () => ready((server.address() as { port: number }).port));
}

/** Index of the CRLFCRLF ending a request head in `buf[from, to)`, or -1. */
function headEnd(buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (buf[i] === CR && buf[i + 1] === LF && buf[i + 2] === CR && buf[i + 3] === LF) return i;
  }
  return -1;
}

/** What the minimal parser takes from one request head. */
interface Head {
  method: string;
  target: string;
  bodyBytes: number;
}

/** Parses a request head (latin1 text without the final CRLFCRLF); null when it is not HTTP/1.x. */
function parseHead(text: string): Head | null {
  const lineEnd = text.indexOf("\r\n");
  const line = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const a = line.indexOf(" ");
  const b = line.lastIndexOf(" ");
  if (a <= 0 || b <= a || !line.startsWith("HTTP/1.", b + 1)) return null;
  let bodyBytes = 0;
  if (lineEnd >= 0) {
    for (const header of text.slice(lineEnd + 2).split("\r\n")) {
      const colon = header.indexOf(":");
      if (colon === 14 && header.slice(0, 14).toLowerCase() === "content-length") {
        bodyBytes = Number(header.slice(15).trim());
        if (!Number.isSafeInteger(bodyBytes) || bodyBytes < 0) return null;
      }
    }
  }
  return { method: line.slice(0, a), target: line.slice(a + 1, b), bodyBytes };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** Serves one keep-alive connection until the peer closes it or sends something unparsable. */
async function serveConnection(conn: Deno.TcpConn, response: Uint8Array): Promise<void> {
  conn.setNoDelay(true);
  const buf = new Uint8Array(READ_BUFFER_BYTES);
  const latin1 = new TextDecoder("latin1");
  let filled = 0;
  try {
    while (filled < buf.length) {
      const n = await conn.read(buf.subarray(filled));
      if (n === null) return;
      filled += n;
      let start = 0;
      for (;;) {
        const end = headEnd(buf, start, filled);
        if (end < 0) break;
        const head = parseHead(latin1.decode(buf.subarray(start, end)));
        if (head === null) return;
        const next = end + 4 + head.bodyBytes;
        if (next > filled) break; // body not all here yet
        await writeAll(conn, response);
        start = next;
      }
      buf.copyWithin(0, start, filled);
      filled -= start;
    }
  } catch {
    // A reset connection ends its loop; the listener goes on.
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

async function serveRaw(): Promise<void> {
  const body = new TextEncoder().encode(FLOOR_BODY);
  const response = new TextEncoder().encode(
    `HTTP/1.1 200 OK\r\ncontent-type: ${CONTENT_TYPE}\r\ncontent-length: ${body.length}\r\n\r\n${FLOOR_BODY}`,
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  ready(listener.addr.port);
  for await (const conn of listener) void serveConnection(conn, response);
}

if (import.meta.main) {
  const kind = flag("kind") as FloorKind | undefined;
  if (kind === undefined || !FLOOR_KINDS.includes(kind)) {
    console.error(`usage: floor_servers.ts --kind=${FLOOR_KINDS.join("|")}`);
    Deno.exit(2);
  }
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  if (kind === "deno-serve") serveDeno();
  else if (kind === "node-http") serveNode();
  else await serveRaw();
}
