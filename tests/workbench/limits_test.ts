/**
 * The workbench port has the app port's request limits (host/http/request_guard.ts `guardPort`),
 * over raw TCP against a real server: a long URL gets 414, too many or too large headers 431, a body
 * that does not arrive within `limits.http_body_timeout_ms` 408 (the connection is not held past it),
 * and the port keeps answering afterwards. No timing is asserted: the stalled body's read has a
 * generous bound of its own so a loaded machine only makes it slower.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { HTTP_HEADER_BYTES_MAX, HTTP_HEADERS_MAX, HTTP_URL_BYTES_MAX } from "../../host/limits.ts";
import { basic, withWorkbench } from "./workbench_server.ts";
import { rawHttp as raw, statusOf as status } from "../_util/raw_http.ts";

const BODY_TIMEOUT_MS = 1_000;

Deno.test("workbench port limits: 414, 431, 408 as on the app port, then it keeps serving", async () => {
  await withWorkbench(async ({ server, adminKey }) => {
    const port = server.ports.workbench;
    const auth = `authorization: ${basic("admin", adminKey).authorization}\r\n`;
    const get = (path: string, extra = "") =>
      `GET ${path} HTTP/1.1\r\nhost: x\r\n${auth}${extra}connection: close\r\n\r\n`;
    assertEquals(status(await raw(port, get("/api/status"))), 200);

    const longUrl = await raw(port, get(`/api/status?q=${"a".repeat(HTTP_URL_BYTES_MAX)}`));
    assertEquals(status(longUrl), 414, longUrl);
    assert(/request [0-9a-z]+-[0-9a-z]+/.test(longUrl), "the refusal names the request id");

    const many = Array.from({ length: HTTP_HEADERS_MAX + 1 }, (_, i) => `x-h${i}: v\r\n`).join("");
    assertEquals(status(await raw(port, get("/api/status", many))), 431);
    const big = `x-big: ${"b".repeat(HTTP_HEADER_BYTES_MAX)}\r\n`;
    assertEquals(status(await raw(port, get("/api/status", big))), 431);

    // An authenticated JSON body that stops after 10 of its 100 bytes: cut at the deadline with 408.
    const stalled = await raw(
      port,
      `POST /api/pql HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\n` +
        `content-length: 100\r\n\r\n{"pql": "x`,
    );
    assertEquals(status(stalled), 408, stalled);

    // A whole body within the deadline is served as before.
    const body = JSON.stringify({ pql: "notes.count()" });
    const fine = await raw(
      port,
      `POST /api/pql HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\n` +
        `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
    assert(status(fine) !== 408 && status(fine) < 500, fine);
    assertEquals(status(await raw(port, get("/api/status"))), 200);
  }, (config) => {
    config.limits.httpBodyTimeoutMs = BODY_TIMEOUT_MS;
  });
});
