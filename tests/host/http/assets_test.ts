/**
 * host/http/assets.ts and host/http/dev_events.ts on a real server: the front-end libraries are
 * served from the binary with ETags (304 on a match) and a long cache, without credentials; the
 * examples/orders page loads htmx from there (no CDN); the dev events stream announces a deploy and
 * does not hold up a graceful stop.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { connect } from "../../../client/mod.ts";
import { ASSET_MAX_AGE_S, assetNames } from "../../../host/http/assets.ts";
import { buildService } from "../../../host/wasm/build.ts";
import { withServer } from "../test_server.ts";

const ORDERS_DIR = new URL("../../../examples/orders/", import.meta.url).pathname;

Deno.test("served assets: htmx, the SSE extension and Datastar with ETag, 304 and a long cache", async () => {
  await withServer(async ({ server }) => {
    const base = `http://127.0.0.1:${server.ports.http}`;
    assertEquals(assetNames().sort(), ["datastar.js", "dev-reload.js", "htmx-ext-sse.min.js", "htmx.min.js"]);
    const markers: Record<string, string> = {
      "htmx.min.js": "htmx",
      "htmx-ext-sse.min.js": "sse",
      "datastar.js": "Datastar v1.0.0-beta.11",
      "dev-reload.js": "/_planck/dev/events",
    };
    for (const [name, marker] of Object.entries(markers)) {
      const response = await fetch(`${base}/_planck/assets/${name}`);
      assertEquals(response.status, 200, name);
      assert(response.headers.get("content-type")!.startsWith("text/javascript"), name);
      assertEquals(response.headers.get("cache-control"), `public, max-age=${ASSET_MAX_AGE_S}`);
      const etag = response.headers.get("etag")!;
      assert(/^"[0-9a-f]{24}"$/.test(etag), etag);
      const text = await response.text();
      assert(text.includes(marker), `${name} holds ${marker}`);
      const again = await fetch(`${base}/_planck/assets/${name}`, { headers: { "if-none-match": etag } });
      assertEquals(again.status, 304);
      await again.body?.cancel();
      // HEAD: the GET's status and headers (its length and tag), no body.
      const head = await fetch(`${base}/_planck/assets/${name}`, { method: "HEAD" });
      assertEquals(head.status, 200);
      assertEquals(head.headers.get("etag"), etag);
      assertEquals(head.headers.get("content-length"), String(new TextEncoder().encode(text).length));
      assertEquals(await head.text(), "");
    }
    const missing = await fetch(`${base}/_planck/assets/jquery.js`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(`${base}/_planck/assets/htmx.min.js`, { method: "POST" });
    assertEquals(post.status, 405);
    await post.body?.cancel();
  });
});

Deno.test("examples/orders loads htmx from the served asset, not a CDN", async () => {
  const built = await buildService(ORDERS_DIR);
  await withServer(async ({ server, admin }) => {
    const client = await connect(admin);
    await client.request("deploy", { wasm: built.wasm });
    client.close();
    const page = await (await fetch(`http://127.0.0.1:${server.ports.http}/`)).text();
    assert(page.includes(`<script src="/_planck/assets/htmx.min.js"></script>`), page);
    assert(!/https?:\/\/[^"]*(unpkg|jsdelivr|cdn)/.test(page), "no CDN");
  });
});

/** Reads SSE events from a stream until `count` `generation` events arrived. */
async function readGenerations(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
): Promise<{ generation: number; services: { name: string }[] }[]> {
  const decoder = new TextDecoder();
  let buffer = "";
  const events = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(block);
      if (block.includes("event: generation") && data !== null) events.push(JSON.parse(data[1]));
    }
  }
  return events;
}

Deno.test("dev events: a deploy changes the generation on an open stream; stop does not wait for it", async () => {
  const built = await buildService(ORDERS_DIR);
  await withServer(async ({ server, admin }) => {
    const response = await fetch(`http://127.0.0.1:${server.ports.http}/_planck/dev/events`);
    assertEquals(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = response.body!.getReader();
    const [first] = await readGenerations(reader, 1);
    assertEquals(first.services, []);
    const client = await connect(admin);
    await client.request("deploy", { wasm: built.wasm });
    client.close();
    const [second] = await readGenerations(reader, 1);
    assert(second.generation !== first.generation);
    assertEquals(second.services.map((s) => s.name), ["orders"]);
    // withServer stops the server with this stream still open: the stop must end it.
    const ended = (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })();
    await server.stop();
    await ended;
  });
});
