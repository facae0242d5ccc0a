/**
 * `GET /events` end to end over real sockets: the orders example's topic streams rendered htmx
 * fragments with `id:` = LSN; Last-Event-ID resumes exactly, also after the server restarted on
 * the same data directory; unknown topics and bad requests get JSON errors before any stream;
 * `sse.enabled: false` switches the endpoint off.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { defaultConfig } from "../../host/config.ts";
import type { Config } from "../../host/config_keys.ts";
import { startServer } from "../../host/server/server.ts";
import { buildService } from "../../host/wasm/build.ts";
import { SseReader } from "./_sse_reader.ts";

const ORDERS_DIR = new URL("../../examples/orders/", import.meta.url).pathname;

async function withPlanck(
  dataDir: string,
  fn: (base: string, admin: string) => Promise<void>,
  configure: (config: Config) => void = () => {},
): Promise<void> {
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  configure(config);
  const server = await startServer(config, { log: () => {}, signals: false });
  try {
    const admin = server.adminConnection ?? await Deno.readTextFile(`${dataDir}/admin.credentials`);
    await fn(`http://127.0.0.1:${server.ports.http}`, admin.trim());
  } finally {
    await server.stop();
  }
}

async function post(url: string, fields: Record<string, string>): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    body: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  assert(response.ok, `POST ${url}: ${response.status}`);
  return await response.text();
}

Deno.test("GET /events: orders topic, JSON errors, resume by Last-Event-ID across a restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_sse_" });
  try {
    const built = await buildService(ORDERS_DIR);
    assertEquals(built.manifest.topics!.map((t) => [t.name, t.format, t.render]), [["orders", "htmx", true]]);
    let resumeFrom = "";
    let keys: string[] = [];
    await withPlanck(dataDir, async (base, admin) => {
      const client = await connect(admin);
      await client.request("deploy", { wasm: built.wasm });
      client.close();
      for (
        const [query, status, code] of [["", 400, "invalid_argument"], [
          "?topic=nope",
          404,
          "not_found",
        ]] as const
      ) {
        const refused = await fetch(`${base}/events${query}`);
        assertEquals(refused.status, status);
        assertEquals((await refused.json()).error.code, code);
      }
      const badId = await fetch(`${base}/events?topic=orders`, { headers: { "last-event-id": "x" } });
      assertEquals(badId.status, 400);
      await badId.body?.cancel();

      const stream = await SseReader.open(`${base}/events?topic=orders`);
      assertEquals(stream.contentType, "text/event-stream; charset=utf-8");
      const opening = await stream.next();
      assert(opening?.id !== undefined && opening.data === undefined, "the stream opens with its position");
      const li = await post(`${base}/orders`, { title: "Tea", amount: "3" });
      const key = /order-([0-9a-f]{32})/.exec(li)![1];
      await post(`${base}/orders/${key}/status`, { status: "paid" });
      const created = await stream.nextEvent();
      assertEquals(created.event, "orders");
      assert(created.data!.includes(`<li id="order-${key}" >`), created.data);
      const changed = await stream.nextEvent();
      assert(changed.data!.includes('hx-swap-oob="true"') && changed.data!.includes("paid"), changed.data);
      assert(Number(changed.id) > Number(created.id), "ids are increasing LSNs");
      resumeFrom = created.id!;
      keys = [key];
      await stream.close();
    });
    // Restarted: the client resumes after the first event; a write made after the restart follows.
    await withPlanck(dataDir, async (base) => {
      const stream = await SseReader.open(`${base}/events?topic=orders`, { "last-event-id": resumeFrom });
      await stream.next(); // opening
      const replayed = await stream.nextEvent();
      assert(
        replayed.data!.includes("paid"),
        "the status change after Last-Event-ID is replayed from the WAL",
      );
      const li = await post(`${base}/orders`, { title: "Milk", amount: "2" });
      keys.push(/order-([0-9a-f]{32})/.exec(li)![1]);
      const live = await stream.nextEvent();
      assert(live.data!.includes(`<li id="order-${keys[1]}" >`), live.data);
      assert(Number(live.id) > Number(replayed.id), "no duplicate, no gap");
      await stream.close();
      const lost = await SseReader.open(`${base}/events?topic=orders&lastEventId=999999999`);
      const notice = await lost.nextEvent();
      assertEquals(notice.event, "resume_point_lost");
      assertEquals(JSON.parse(notice.data!).code, "resume_point_lost");
      await lost.close();
    });
    await withPlanck(dataDir, async (base) => {
      const off = await fetch(`${base}/events?topic=orders`);
      assertEquals(off.status, 404, "sse.enabled: false leaves /events to the services");
      await off.body?.cancel();
    }, (config) => config.sse.enabled = false);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
