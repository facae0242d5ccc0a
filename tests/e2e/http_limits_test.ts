/**
 * The app port's limits over raw TCP against a real server with a deployed service (docs/security.md,
 * "HTTP"): a long URL gets 414, too many or too large headers 431, a large body 413 (declared or
 * chunked), a body that does not arrive in `limits.http_body_timeout_ms` 408; many slow clients
 * (headers never finished, bodies trickling) do not keep other requests from being answered; a
 * handler's header holding CR/LF is refused with the host's 500 naming it (no injected header on the
 * wire, the handler's writes not kept, the server keeps serving); traversal paths never reach a file.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { defaultConfig } from "../../host/config.ts";
import { HTTP_HEADER_BYTES_MAX, HTTP_HEADERS_MAX, HTTP_URL_BYTES_MAX } from "../../host/limits.ts";
import { type PlanckServer, startServer } from "../../host/server/server.ts";
import { REQUEST_BODY_BYTES_MAX } from "../../protocol/abi.ts";
import { buildService } from "../../host/wasm/build.ts";
import { rawHttp as raw, statusOf as status } from "../_util/raw_http.ts";

const BODY_TIMEOUT_MS = 1_000;
const SLOW_CLIENTS = 200;

const SERVICE = `import { createApp, store } from "planck";
const app = createApp();
app.post("/write-hdr", async (c) => {
  await store("hdr").insert({ v: c.req.query("v") ?? "" });
  return c.header("x-echo", c.req.query("v") ?? "").text("ok");
});
app.get("/hdr-count", async (c) => c.text(String(await store("hdr").count())));
app.get("/ok", (c) => c.text("ok"));
app.get("/hdr", (c) => c.header("x-echo", c.req.query("v") ?? "").text("ok"));
app.post("/echo", (c) => c.text(String(c.req.bytes().length)));
export default app;
`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function withService(fn: (server: PlanckServer, port: number) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "planck_http_limits_" });
  const serviceDir = `${dir}/svc`;
  await Deno.mkdir(serviceDir);
  await Deno.writeTextFile(
    `${serviceDir}/planck.json`,
    JSON.stringify({ name: "limits", entry: "service.ts" }),
  );
  await Deno.writeTextFile(`${serviceDir}/service.ts`, SERVICE);
  const config = defaultConfig();
  config.dataDir = `${dir}/data`;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  config.limits.httpBodyTimeoutMs = BODY_TIMEOUT_MS;
  config.shutdown.drainTimeoutMs = 1_000;
  const server = await startServer(config, { log: () => {}, signals: false });
  try {
    const { wasm } = await buildService(serviceDir);
    const client = await connect(server.adminConnection!);
    await client.request("deploy", { wasm });
    client.close();
    await fn(server, server.ports.http);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

const get = (path: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nhost: x\r\n${extra}connection: close\r\n\r\n`;

Deno.test("app port limits: 414, 431, 413, 408, header injection, traversal, slow clients", async () => {
  await withService(async (_server, port) => {
    assertEquals(status(await raw(port, get("/ok"))), 200);

    const longUrl = await raw(port, get(`/ok?q=${"a".repeat(HTTP_URL_BYTES_MAX)}`));
    assertEquals(status(longUrl), 414);
    assert(/request [0-9a-z]+-[0-9a-z]+/.test(longUrl), "the refusal names the request id");
    assert(
      status(await raw(port, get(`/ok?q=${"a".repeat(200_000)}`))) >= 400,
      "past Deno's head buffer: 4xx",
    );

    const many = Array.from({ length: HTTP_HEADERS_MAX + 1 }, (_, i) => `x-h${i}: v\r\n`).join("");
    assertEquals(status(await raw(port, get("/ok", many))), 431);
    assertEquals(status(await raw(port, get("/ok", `x-big: ${"b".repeat(HTTP_HEADER_BYTES_MAX)}\r\n`))), 431);
    assertEquals(status(await raw(port, get("/ok", `x-fine: ${"b".repeat(1000)}\r\n`))), 200);

    const declared = `POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: ${
      REQUEST_BODY_BYTES_MAX + 1
    }\r\n\r\nabc`;
    assertEquals(status(await raw(port, declared)), 413);
    const chunk = "f".repeat(64 * 1024);
    const chunked = `POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n` +
      `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(REQUEST_BODY_BYTES_MAX / chunk.length + 2) +
      "0\r\n\r\n";
    assertEquals(status(await raw(port, chunked)), 413);
    const stalled = await raw(
      port,
      `POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nonly ten!!`,
    );
    assertEquals(status(stalled), 408, stalled);

    const injected = await raw(port, get(`/hdr?v=${encodeURIComponent("a\r\nset-cookie: evil=1")}`));
    assertEquals(status(injected), 500, injected);
    assert(injected.includes("invalid response header"), injected);
    assert(!/^set-cookie: evil/im.test(injected), "no injected header on the wire");
    assertEquals(status(await raw(port, get(`/hdr?v=${encodeURIComponent("a\0b")}`))), 500);
    assertEquals(status(await raw(port, get("/hdr?v=fine"))), 200);
    // A refused header is found before the commit: the handler's writes are not kept.
    const post = (v: string) =>
      `POST /write-hdr?v=${
        encodeURIComponent(v)
      } HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`;
    assertEquals(status(await raw(port, post("kept"))), 200);
    for (const bad of ["a\r\nset-cookie: evil=1", "a\0b", "snow \u2603"]) {
      const refused = await raw(port, post(bad));
      assertEquals(status(refused), 500, refused);
      assert(refused.includes("invalid response header"), refused);
    }
    const count = await raw(port, get("/hdr-count"));
    assert(count.endsWith("\r\n\r\n1"), `only the fine write was kept: ${count}`);

    for (
      const path of [
        "/static/../planck.json",
        "/static/%2e%2e/%2e%2e/admin.credentials",
        "/_planck/assets/../x",
      ]
    ) {
      const response = await raw(port, get(path));
      assert([400, 401, 404].includes(status(response)), `${path}: ${status(response)}`);
      assert(!response.includes("key="), `${path} leaked a file`);
    }
  });
});

Deno.test("slow clients (unfinished heads, trickling bodies) do not starve others", async () => {
  await withService(async (_server, port) => {
    const slow: Deno.Conn[] = [];
    try {
      for (let i = 0; i < SLOW_CLIENTS; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        slow.push(conn);
        const head = i % 2 === 0
          ? "GET /ok HTTP/1.1\r\nhost: x\r\nx-slow: " // a head never finished
          : "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nab"; // a body never finished
        await conn.write(encoder.encode(head));
      }
      const answers = await Promise.all(Array.from({ length: 20 }, () => raw(port, get("/ok"))));
      for (const answer of answers) assertEquals(status(answer), 200, "answered while slow clients hang on");
      // The trickling bodies are cut at the body deadline with 408.
      const body = slow[1];
      let text = "";
      const buffer = new Uint8Array(4096);
      while (!text.includes("\r\n\r\n")) {
        const n = await body.read(buffer);
        if (n === null) break;
        text += decoder.decode(buffer.subarray(0, n));
      }
      assertEquals(status(text), 408, text);
    } finally {
      for (const conn of slow) conn.close();
    }
    assertEquals(status(await raw(port, get("/ok"))), 200);
  });
});
