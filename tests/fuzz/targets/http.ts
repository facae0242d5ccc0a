/**
 * HTTP requests to a deployed service (examples/orders) over raw TCP, so anything may be sent: random
 * methods, paths (the service's routes, traversal in `..`, `%2e%2e`, `%00`, `//`, very long), query
 * strings, headers (odd names and values, many, huge), bodies (JSON good and bad, forms, multipart with
 * broken boundaries, random bytes), lying Content-Length. What must hold: every request gets an HTTP
 * response (or a closed connection for bytes that are no HTTP request) within the case's deadline; no
 * response is a 5xx other than 500 with a request id (the host reporting a guest's fault; with
 * PLANCK_FUZZ_GUEST_500=1 those count too), 503 or 504; the host itself never throws (a 500 without a
 * request id); no response ever carries the
 * admin's key or a file from outside the served assets; and after every case `GET /orders` still
 * answers 200.
 */
import { defaultConfig } from "../../../host/config.ts";
import { type PlanckServer, startServer } from "../../../host/server/server.ts";
import { builtExample } from "./built.ts";
import { connect } from "../../../client/mod.ts";
import { bytes, type FuzzTarget, int, pick } from "../harness.ts";

/** How long one request may take to be answered. */
const RESPONSE_WAIT_MS = 5_000;
/** PLANCK_FUZZ_GUEST_500=1: a guest's own 500 (the example service throwing on bad input) is a finding too. */
const STRICT_GUEST = Deno.env.get("PLANCK_FUZZ_GUEST_500") === "1";
const decoder = new TextDecoder();
/** Bytes of a response read at most (a stream such as /events is cut there). */
const RESPONSE_READ_MAX = 256 * 1024;

interface Ctx {
  dir: string;
  server: PlanckServer;
  port: number;
  adminKey: string;
  keys: string[];
}

const METHODS = [
  "GET",
  "GET",
  "POST",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "HEAD",
  "OPTIONS",
  "TRACE",
  "G\u00e9T",
  "",
  "CONNECT",
];
const PATHS = [
  "/",
  "/orders",
  "/orders/KEY",
  "/orders/KEY/status",
  "/api/orders",
  "/api/orders/KEY",
  "/static/app.css",
  "/static/../planck.json",
  "/static/%2e%2e/%2e%2e/deno.json",
  "/static/..%2f..%2fadmin.credentials",
  "/_planck/assets/htmx.min.js",
  "/_planck/assets/../../deno.json",
  "/_planck/assets/%2e%2e%2fadmin.credentials",
  "/_planck/metrics",
  "/_planck/dev/events",
  "/events?topic=nope",
  "/events?topic=orders&topic=orders",
  "/orders/%00",
  "//orders",
  "/orders/" + "a".repeat(5000),
  "/" + "x/".repeat(2000),
  "*",
  "http://evil.example/orders",
];
const CONTENT_TYPES = [
  "application/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=XyZ",
  "multipart/form-data",
  "text/plain",
  "application/json; charset=utf-16",
  "",
];

function path(random: () => number, ctx: Ctx): string {
  let p = pick(random, PATHS).replace(
    "KEY",
    ctx.keys.length > 0 && random() < 0.6
      ? pick(random, ctx.keys)
      : pick(random, ["zz", "0x1", "", "%ff", "1".repeat(40)]),
  );
  if (random() < 0.3) {
    p += (p.includes("?") ? "&" : "?") +
      pick(random, [
        "status=open",
        "status=",
        "status=%zz",
        "a=" + "b".repeat(3000),
        "status=open&status=paid",
      ]);
  }
  return p;
}

function body(random: () => number, type: string): Uint8Array {
  const te = new TextEncoder();
  if (type.startsWith("application/json")) {
    return te.encode(pick(random, [
      JSON.stringify({ title: "Tea", amount: 3.5 }),
      JSON.stringify({ title: "x".repeat(int(random, 2000)), amount: pick(random, [-1, 1e308, "3", null]) }),
      JSON.stringify({ status: pick(random, ["paid", "open", "nope", 7]) }),
      "{",
      "[]",
      "null",
      "[".repeat(5000),
      '{"__proto__": {"admin": true}, "title": "p", "amount": 1}',
    ]));
  }
  if (type.startsWith("application/x-www-form")) {
    return te.encode(
      pick(random, [
        "title=Tea&amount=3",
        "status=paid",
        "title=%zz",
        "amount=1e400&title=",
        "&&&=",
        "a=" + "b".repeat(10_000),
      ]),
    );
  }
  if (type.startsWith("multipart")) {
    return te.encode(pick(random, [
      '--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nTea\r\n--XyZ--\r\n',
      '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="../../x"\r\n\r\n' + "z".repeat(100) +
      "\r\n--XyZ",
      "--XyZ\r\n\r\n\r\n",
      "--Other\r\n--Other--",
    ]));
  }
  return bytes(random, int(random, 200));
}

/** One request's bytes. */
function request(random: () => number, ctx: Ctx): Uint8Array {
  const method = pick(random, METHODS);
  const target = path(random, ctx);
  const type = pick(random, CONTENT_TYPES);
  const payload = method === "GET" && random() < 0.8 ? new Uint8Array(0) : body(random, type);
  const headers = [`Host: 127.0.0.1:${ctx.port}`, "Connection: close"];
  if (type !== "") headers.push(`Content-Type: ${type}`);
  const length = random() < 0.1 ? pick(random, [0, payload.length + 10, 2 ** 40, -1]) : payload.length;
  if (payload.length > 0 || random() < 0.5) headers.push(`Content-Length: ${length}`);
  if (random() < 0.1) headers.push("Transfer-Encoding: chunked");
  for (let n = int(random, 3); n > 0; n--) {
    headers.push(pick(random, [
      "X-Fuzz: " + "v".repeat(int(random, 20_000)),
      "Cookie: planck_session=" + "a".repeat(64),
      "Authorization: Basic " + btoa("admin:wrong"),
      "Authorization: Bearer x",
      "Last-Event-ID: " + pick(random, ["0", "-1", "99999999999999999999", "abc"]),
      "If-None-Match: *",
      "Accept: text/event-stream",
      "X-Bad\u0001Name: 1",
      "Origin: http://evil.example",
      ": empty",
    ]));
  }
  if (random() < 0.05) { for (let i = 0; i < 200; i++) headers.push(`X-Many-${i}: ${i}`); }
  const head = new TextEncoder().encode(`${method} ${target} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`);
  if (random() < 0.05) return bytes(random, int(random, 300)); // not HTTP at all
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return random() < 0.05 ? out.subarray(0, int(random, out.length)) : out;
}

/** Sends `raw`, reads until EOF, RESPONSE_READ_MAX or RESPONSE_WAIT_MS; the response text read. */
async function exchange(port: number, raw: Uint8Array): Promise<{ text: string; timedOut: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // closed
    }
  }, RESPONSE_WAIT_MS);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    try {
      let at = 0;
      while (at < raw.length) at += await conn.write(raw.subarray(at));
      await conn.closeWrite();
    } catch {
      // the server may close before reading everything (an error response already on its way)
    }
    const buffer = new Uint8Array(64 * 1024);
    while (total < RESPONSE_READ_MAX) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch {
        n = null;
      }
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
      total += n;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return { text: new TextDecoder().decode(all), timedOut };
}

export const httpTarget: FuzzTarget<Ctx> = {
  name: "http",
  description:
    "random raw HTTP requests to a deployed service: an HTTP answer, no 5xx but the guest's, no leak",
  ciCases: 120,
  async setup() {
    const dir = await Deno.makeTempDir({ prefix: "planck_fuzz_http_" });
    const config = defaultConfig();
    config.dataDir = dir;
    config.ports = { wire: 0, http: 0, workbench: 0 };
    config.shutdown.drainTimeoutMs = 1_000;
    const server = await startServer(config, { log: () => {}, signals: false });
    const admin = server.adminConnection!;
    const client = await connect(admin);
    try {
      await client.request("deploy", { wasm: await builtExample("orders") });
    } finally {
      client.close();
    }
    const adminKey = /key=([^;]+)/.exec(admin)![1];
    return { dir, server, port: server.ports.http, adminKey, keys: [] };
  },
  async one(ctx, random) {
    const raw = request(random, ctx);
    const line = new TextDecoder().decode(raw.subarray(0, 120)).split("\r\n")[0];
    const { text, timedOut } = await exchange(ctx.port, raw);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
    const streaming = /content-type: text\/event-stream/i.test(text);
    if (status === null) {
      // No answer at all is fine only for bytes that are no complete HTTP request.
      if (timedOut && !streaming && /HTTP\/1\.1\r\n/.test(new TextDecoder().decode(raw))) {
        throw new Error(`${JSON.stringify(line)}: no response in ${RESPONSE_WAIT_MS} ms`);
      }
    } else {
      const code = Number(status[1]);
      if (code >= 500 && ![500, 503, 504].includes(code)) throw new Error(`${JSON.stringify(line)}: ${code}`);
      // A 500 is the host reporting a guest's fault, with the request id; without one, the host itself threw.
      if (code === 500 && !/x-request-id:/i.test(text)) {
        throw new Error(
          `${JSON.stringify(line)}: 500 from the host itself (no request id): ${text.slice(0, 300)}`,
        );
      }
      if (code === 500 && STRICT_GUEST) {
        throw new Error(
          `${JSON.stringify(line)}: guest fault: ${text.slice(0, 400)}\n---\n${
            decoder.decode(raw).slice(0, 600)
          }`,
        );
      }
      if (timedOut && !streaming && code !== 101) {
        throw new Error(`${JSON.stringify(line)}: response ${code} did not end in ${RESPONSE_WAIT_MS} ms`);
      }
    }
    if (text.includes(ctx.adminKey)) {
      throw new Error(`${JSON.stringify(line)}: the response carries the admin key`);
    }
    if (/"compilerOptions"|"nodeModulesDir"|"entry": "service.ts"/.test(text)) {
      throw new Error(`${JSON.stringify(line)}: the response carries a file from outside the assets`);
    }
    for (const m of text.matchAll(/order-([0-9a-f]{32})/g)) if (!ctx.keys.includes(m[1])) ctx.keys.push(m[1]);
    const alive = await fetch(`http://127.0.0.1:${ctx.port}/orders`);
    await alive.body?.cancel();
    if (alive.status !== 200) {
      throw new Error(`${JSON.stringify(line)}: GET /orders answered ${alive.status} afterwards`);
    }
  },
  async teardown(ctx) {
    try {
      await ctx.server.stop();
    } finally {
      await Deno.remove(ctx.dir, { recursive: true });
    }
  },
};
