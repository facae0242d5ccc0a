/**
 * The wire client against a real in-process server: the typed builder over the wire, PQL, key-value
 * helpers, and the client's own failures (timeout, unreachable server, closed client).
 */
import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { connect } from "../../mod.ts";
import { decodeFrame, encodeFrame, FrameReader } from "../../protocol/frame.ts";
import { withServer } from "../host/test_server.ts";

interface Order {
  status: string;
  amount: number;
}

Deno.test("connect().store<T>() runs the typed builder over the wire", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      const orders = db.store<Order>("orders");
      const { inserted } = await orders.insert([{ status: "open", amount: 12 }, {
        status: "paid",
        amount: 5,
      }]);
      assertEquals(inserted.length, 2);
      const first = await orders.get(inserted[0]);
      assertEquals(first, { key: inserted[0], status: "open", amount: 12 });
      const rows = await orders.limit(10).find();
      assertEquals(rows.map((row) => row.amount).sort((a, b) => a - b), [5, 12]);
      assertEquals(await orders.get("f".repeat(32)), null);
      const stores = await db.pql("show stores") as { name: string }[];
      assert(stores.some((store) => store.name === "orders"));
    } finally {
      db.close();
    }
  });
});

Deno.test("PlanckClient key-value helpers insert, put, get, scan and delete", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      const key = await db.insert("kv", { v: 1 });
      const mine = "0".repeat(31) + "7";
      assertEquals(await db.insert("kv", { v: 2 }, { key: mine }), mine);
      await assertRejectsCode(() => db.insert("kv", { v: 3 }, { key: mine }), "conflict");
      await db.put("kv", mine, { v: 4, big: 2n ** 60n, when: new Date(0) });
      const doc = await db.get<{ v: number; big: bigint; when: Date }>("kv", mine);
      assertEquals([doc?.v, doc?.big, doc?.when.getTime()], [4, 2n ** 60n, 0]);
      assertEquals((await db.scan("kv")).map((row) => row.key), [mine, key]);
      assertEquals((await db.scan("kv", { from: key })).length, 1);
      assertEquals(await db.delete("kv", key), true);
      assertEquals(await db.delete("kv", key), false);
      await assertRejectsCode(() => db.get("kv", "not-a-key"), "invalid_argument");
    } finally {
      db.close();
    }
  });
});

Deno.test("connect fails with timeout against a server that never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    await assertRejectsCode(
      () => connect(`127.0.0.1:${port};uid=a;key=b`, { connectTimeoutMs: 300 }),
      "timeout",
    );
  } finally {
    listener.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
});

Deno.test("connect fails with unavailable when nothing listens, after retrying with backoff", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const started = Date.now();
  await assertRejectsCode(
    () => connect(`127.0.0.1:${port};uid=a;key=b`, { connectTimeoutMs: 300 }),
    "unavailable",
  );
  assert(Date.now() - started < 5_000);
});

Deno.test("a request times out with timeout when the server accepts it but never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      void (async () => {
        const reader = new FrameReader(1 << 20);
        const buffer = new Uint8Array(4096);
        for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer).catch(() => null)) {
          reader.push(buffer.subarray(0, n));
          for (let body = reader.next(); body !== null; body = reader.next()) {
            const request = decodeFrame(body);
            if (request.op !== "authenticate") continue; // everything else is swallowed
            await conn.write(
              encodeFrame({ id: request.id, ok: true, result: { user: "a", role: "admin" } }, 1 << 20),
            );
          }
        }
      })();
    }
  })();
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const db = await connect(`127.0.0.1:${port};uid=a;key=b;timeout=200`);
    const started = Date.now();
    await assertRejectsCode(() => db.ping(), "timeout", "200 ms");
    assert(Date.now() - started >= 150);
    db.close();
    await assertRejectsCode(() => db.ping(), "unavailable", "closed");
  } finally {
    listener.close();
    await serving;
    for (const conn of conns) conn.close();
  }
});
