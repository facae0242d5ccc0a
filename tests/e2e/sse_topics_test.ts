/**
 * SSE topics against a real server (tests/fixtures/topics_service/): JSON, filter and Datastar
 * topics on one connection (only the last block of one write carries the id), enter / update /
 * leave of a filter topic, authorization by the service's middleware and a topic's authorize
 * function (401/403 before the stream opens), and the slow-consumer policy: a subscriber that
 * does not read is cut off while another keeps receiving, and resuming from its Last-Event-ID
 * loses nothing.
 */
import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { connect, parseConnectionString } from "../../client/mod.ts";
import { SSE_QUEUE_EVENTS_MAX } from "../../host/limits.ts";
import { buildService } from "../../host/wasm/build.ts";
import { withServer } from "../host/test_server.ts";
import { type SseBlock, SseReader } from "./_sse_reader.ts";

const SERVICE_DIR = new URL("../fixtures/topics_service/", import.meta.url).pathname;

async function deployed(
  fn: (base: string, admin: string) => Promise<void>,
): Promise<void> {
  const built = await buildService(SERVICE_DIR);
  await withServer(async ({ server, admin }) => {
    const client = await connect(admin);
    await client.request("deploy", { wasm: built.wasm });
    client.close();
    await fn(`http://127.0.0.1:${server.ports.http}`, admin);
  });
}

async function send(url: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  assert(response.ok, `${method} ${url}: ${response.status}`);
  return await response.json();
}

/** The blocks of one write: read until one carries an id. */
async function blocksOfOneWrite(stream: SseReader): Promise<SseBlock[]> {
  const blocks: SseBlock[] = [];
  while (true) {
    const block = await stream.nextEvent();
    blocks.push(block);
    if (block.id !== undefined) return blocks;
  }
}

Deno.test("SSE topics: json, filter enter/update/leave and datastar on one connection", async () => {
  await deployed(async (base) => {
    const stream = await SseReader.open(`${base}/events?topic=all&topic=open&topic=ds`);
    await stream.next();
    const { key } = await send(`${base}/items`, "POST", { title: "one", status: "open" }) as { key: string };
    const created = await blocksOfOneWrite(stream);
    assertEquals(created.map((b) => b.event), ["all", "open", "datastar-patch-elements"]);
    assertEquals(
      created.map((b) => b.id === undefined),
      [true, true, false],
      "only the last block has the id",
    );
    const all = JSON.parse(created[0].data!);
    assertEquals([all.op, all.store, all.key, all.doc.title], ["insert", "items", key, "one"]);
    assertEquals(Number(created[2].id), all.lsn);
    assertEquals(JSON.parse(created[1].data!), { op: "enter", key, title: "one" });
    assertEquals(created[2].data, `elements <div id="item-${key}">one</div>`);

    await send(`${base}/items/${key}`, "PATCH", { status: "closed" });
    const closed = await blocksOfOneWrite(stream);
    assertEquals(closed.map((b) => b.event), ["all", "open", "datastar-patch-elements"]);
    assertEquals(JSON.parse(closed[1].data!), { op: "leave", key, title: null });
    await send(`${base}/items/${key}`, "PATCH", { title: "renamed" });
    const quiet = await blocksOfOneWrite(stream);
    assertEquals(quiet.map((b) => b.event), ["all", "datastar-patch-elements"], "no event for a non-match");
    await send(`${base}/items/${key}`, "PATCH", { status: "open" });
    const reopened = await blocksOfOneWrite(stream);
    assertEquals(JSON.parse(reopened[1].data!).op, "enter");
    await send(`${base}/items/${key}`, "DELETE");
    const deleted = await blocksOfOneWrite(stream);
    assertEquals(JSON.parse(deleted[0].data!).op, "delete");
    assertEquals(JSON.parse(deleted[1].data!).op, "leave");
    assertEquals(deleted[2].data, `selector #item-${key}\nmode remove`);
    await stream.close();
  });
});

Deno.test("SSE topics: authorization through the service's middleware and authorize, before the stream", async () => {
  await deployed(async (base) => {
    const anonymous = await fetch(`${base}/events?topic=private`);
    assertEquals(anonymous.status, 403);
    const refused = (await anonymous.json()).error;
    assertEquals([refused.code, refused.topic], ["forbidden", "private"]);
    const login = await fetch(`${base}/login`, { method: "POST" });
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    await login.body?.cancel();
    const admitted = await SseReader.open(`${base}/events?topic=private`, { cookie });
    await admitted.close();

    const outsider = await fetch(`${base}/events?topic=members&topic=all`);
    assertEquals(outsider.status, 401);
    assertEquals((await outsider.json()).error.code, "unauthorized");
    const member = await SseReader.open(`${base}/events?topic=members&topic=all`, { "x-member": "yes" });
    await member.close();
  });
});

/**
 * A subscriber on a raw socket that reads nothing until asked: the kernel's buffers fill and the
 * server's queue grows, as with a stalled browser.
 */
/**
 * How long one step of the slow-consumer test may take before it fails naming the step (a hang on a
 * loaded CI machine once held the suite for over 16 minutes without saying where).
 */
const STEP_TIMEOUT_MS = 120_000;

/** `promise`, or a failure naming `what` after STEP_TIMEOUT_MS. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms: ${what}`)),
      STEP_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

class StalledSubscriber {
  readonly #conn: Deno.Conn;
  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  static async open(port: number, path: string): Promise<StalledSubscriber> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`));
    return new StalledSubscriber(conn);
  }
  /**
   * Reads to the end of the response (the last chunk; the connection itself stays open) and returns
   * the ids of its data events (chunked body decoded).
   */
  async drain(): Promise<number[]> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(1 << 16);
    let raw = "";
    while (!raw.endsWith("\r\n0\r\n\r\n")) {
      const n = await this.#conn.read(buffer).catch(() => null);
      if (n === null) break;
      raw += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    this.#conn.close();
    let at = raw.indexOf("\r\n\r\n") + 4;
    let body = "";
    while (at < raw.length) {
      const eol = raw.indexOf("\r\n", at);
      if (eol < 0) break;
      const size = parseInt(raw.slice(at, eol), 16);
      if (!(size > 0) || eol + 2 + size > raw.length) break;
      body += raw.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
    const ids: number[] = [];
    for (const block of body.split("\n\n")) {
      const id = /^id: (\d+)$/m.exec(block);
      if (id !== null && /^data: /m.test(block)) ids.push(Number(id[1]));
    }
    return ids;
  }
}

Deno.test({
  name: "SSE slow consumer: cut off past its queue while others receive; resuming loses nothing",
  sanitizeResources: false,
  async fn() {
    await deployed(async (base, admin) => {
      let fast = await SseReader.open(`${base}/events?topic=all`);
      const slow = await StalledSubscriber.open(Number(new URL(base).port), "/events?topic=all");
      /** The fast reader's position: the id of the last block it read (the opening block has one). */
      let fastAt = Number((await fast.next())!.id);
      const writes = 2 * SSE_QUEUE_EVENTS_MAX;
      const fastIds: number[] = [];
      // On a loaded machine the fast reader (in this process, beside the server) can fall behind and
      // be cut off too: like a browser it then resumes from its Last-Event-ID, and it counts its
      // cut-offs so the test knows one of the server's slow-consumer cut-offs is the stalled one's.
      let fastCutOffs = 0;
      const reading = (async () => {
        while (fastIds.length < writes) {
          const block = await fast.next();
          if (block === null) {
            fastCutOffs++;
            fast = await SseReader.open(`${base}/events?topic=all`, { "last-event-id": String(fastAt) });
            continue;
          }
          if (block.id !== undefined) fastAt = Number(block.id);
          if (block.data !== undefined) fastIds.push(Number(block.id));
        }
      })();
      reading.catch(() => {}); // a failure surfaces at the await below, not as an unhandled rejection
      for (let i = 0; i < writes / 128; i++) {
        await within(`POST /bulk #${i}`, send(`${base}/bulk?n=128&pad=32000`, "POST"));
      }
      await within(`the fast reader's ${writes} events (has ${fastIds.length})`, reading);
      const { user, key } = parseConnectionString(admin);
      const sse = async () =>
        (await (await fetch(`${base}/_planck/metrics`, {
          headers: { authorization: `Bearer ${user}:${key}` },
        })).json()).sse;
      // The sweep ends the stalled one once it stayed over its bound for SSE_SLOW_CONSUMER_MS.
      const stalledCut = async () => {
        while ((await sse()).slowConsumers <= fastCutOffs) await new Promise((r) => setTimeout(r, 50));
      };
      await within(
        `the stalled subscriber's cut-off (fast reader cut off ${fastCutOffs} times)`,
        stalledCut(),
      );
      const slowIds = await within("the slow consumer's drain", slow.drain());
      assert(slowIds.length < writes, `the slow consumer was cut off (${slowIds.length} of ${writes})`);
      const resumed = await SseReader.open(`${base}/events?topic=all`, {
        "last-event-id": String(slowIds.at(-1) ?? fastIds[0] - 1),
      });
      while (slowIds.length < writes) {
        slowIds.push(Number((await within(`resumed event ${slowIds.length}`, resumed.nextEvent())).id));
      }
      assertEquals(slowIds, fastIds, "cut off, resumed: the same events in the same order");
      await resumed.close();
      await fast.close();
    });
  },
});

Deno.test("deploy refuses a topic name another service declares", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_topic_clash_" });
  try {
    await Deno.writeTextFile(
      `${dir}/planck.json`,
      JSON.stringify({ name: "clash", version: "1", prefix: "/clash" }),
    );
    await Deno.writeTextFile(
      `${dir}/service.ts`,
      `import { createApp } from "planck";\nconst app = createApp();\napp.topic("all", { store: "x" });\n` +
        `app.get("/", (c) => c.text("x"));\nexport default app;\n`,
    );
    const clash = await buildService(dir);
    await deployed(async (_base, admin) => {
      const client = await connect(admin);
      const error = await assertRejectsCode(() => client.request("deploy", { wasm: clash.wasm }), "conflict");
      assert(error.message.includes('"all"') && error.message.includes('"topics"'), error.message);
      client.close();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
