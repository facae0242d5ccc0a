/**
 * A native-tier (AssemblyScript) service's SSE topic: examples/orders-native declares
 * `topic("native-orders", "orders")`; `planck build` puts it in the manifest (JSON format, no
 * render call), and after a POST to the service the host streams the write as a JSON event whose
 * id is its LSN; resuming with Last-Event-ID continues after it.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { buildNativeService } from "../../host/native/build.ts";
import { withServer } from "../host/test_server.ts";
import { SseReader } from "./_sse_reader.ts";

const EXAMPLE = new URL("../../examples/orders-native", import.meta.url).pathname;

async function order(base: string, title: string): Promise<string> {
  const response = await fetch(`${base}/native/api/orders`, {
    method: "POST",
    body: JSON.stringify({ title, amount: 2.5 }),
    headers: { "content-type": "application/json" },
  });
  assertEquals(response.status, 201);
  return ((await response.json()) as { key: string }).key;
}

Deno.test("native topic: the manifest declares it, and a POST reaches the stream as a JSON event", async () => {
  const built = await buildNativeService(EXAMPLE);
  assertEquals(built.manifest.topics, [
    {
      name: "native-orders",
      store: "orders",
      event: "native-orders",
      format: "json",
      render: false,
      authorize: false,
    },
  ]);
  await withServer(async ({ server, admin }) => {
    const client = await connect(admin);
    try {
      await client.request("deploy", { wasm: built.wasm });
    } finally {
      client.close();
    }
    const base = `http://127.0.0.1:${server.ports.http}`;
    const stream = await SseReader.open(`${base}/events?topic=native-orders`);
    await stream.next(); // the opening block
    const key = await order(base, "first");
    const event = await stream.nextEvent();
    assertEquals(event.event, "native-orders");
    const data = JSON.parse(event.data!);
    assertEquals([data.op, data.store, data.key, data.doc.title, data.doc.status], [
      "insert",
      "orders",
      key,
      "first",
      "open",
    ]);
    assertEquals(Number(event.id), data.lsn);
    await stream.close();
    const second = await order(base, "second");
    const resumed = await SseReader.open(`${base}/events?topic=native-orders`, {
      "last-event-id": event.id!,
    });
    await resumed.next();
    const next = JSON.parse((await resumed.nextEvent()).data!);
    assertEquals([next.op, next.key, next.doc.title], ["insert", second, "second"]);
    assert(next.lsn > data.lsn, "resumed after the first event");
    await resumed.close();
  });
});
