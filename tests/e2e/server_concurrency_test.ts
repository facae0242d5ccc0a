/**
 * Many clients and pipelined requests over real sockets: 200 concurrent clients, pipelining on one
 * connection (responses matched by id), backpressure at the in-flight limit, the connection limit,
 * batch and atomic transactions.
 */
import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { RawWire, withServer } from "../host/test_server.ts";

Deno.test("200 concurrent clients each write and read back their own documents", async () => {
  await withServer(async ({ admin }) => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => connect(admin)));
    try {
      const keys = await Promise.all(clients.map(async (db, i) => {
        const mine: string[] = [];
        for (let j = 0; j < 3; j++) mine.push(await db.insert("load", { client: i, j }));
        return mine;
      }));
      await Promise.all(clients.map(async (db, i) => {
        for (const [j, key] of keys[i].entries()) {
          const doc = await db.get("load", key);
          assertEquals({ client: doc?.client, j: doc?.j }, { client: i, j });
        }
      }));
      assertEquals((await clients[0].scan("load", { limit: 1000 })).length, 600);
    } finally {
      for (const db of clients) db.close();
    }
  }, (config) => {
    config.limits.connections = 250;
  });
});

Deno.test("pipelined requests on one connection all get their own response", async () => {
  await withServer(async ({ admin, port }) => {
    const raw = await RawWire.open(port);
    try {
      await raw.authenticate(admin);
      const count = 500;
      const frames: Record<string, unknown>[] = [];
      for (let i = 0; i < count; i++) {
        frames.push({
          id: 100 + i,
          op: "put",
          store: "pipe",
          key: i.toString(16).padStart(32, "0"),
          doc: { i },
        });
      }
      for (const f of frames) await raw.send(f); // no waiting for responses in between
      const seen = new Set<number>();
      for (let i = 0; i < count; i++) {
        const response = await raw.read();
        assertEquals(response?.ok, true, JSON.stringify(response));
        seen.add(response!.id as number);
      }
      assertEquals(seen.size, count);
      const read = await raw.call({
        id: 9999,
        op: "get",
        store: "pipe",
        key: (count - 1).toString(16).padStart(32, "0"),
      });
      assertEquals((read.result as { i: number }).i, count - 1);
    } finally {
      raw.close();
    }
  }, (config) => {
    config.limits.inFlightPerConnection = 8; // backpressure, not errors, past the limit
  });
});

Deno.test("a read pipelined after a write on one connection sees that write", async () => {
  await withServer(async ({ admin, port }) => {
    const raw = await RawWire.open(port);
    try {
      await raw.send({ id: 1, op: "authenticate", user: "admin", key: /key=([^;]+)/.exec(admin)![1] });
      const key = "ab".repeat(16);
      await raw.send({ id: 2, op: "put", store: "rw", key, doc: { v: 1 } });
      await raw.send({ id: 3, op: "get", store: "rw", key });
      const responses = new Map<number, Record<string, unknown>>();
      for (let i = 0; i < 3; i++) {
        const response = (await raw.read())!;
        responses.set(response.id as number, response);
      }
      assertEquals(responses.get(1)?.ok, true);
      assertEquals(responses.get(2)?.ok, true);
      assertEquals((responses.get(3)?.result as { v: number }).v, 1);
    } finally {
      raw.close();
    }
  });
});

Deno.test("the connection limit refuses the next connection with limit_exceeded", async () => {
  await withServer(async ({ admin }) => {
    const first = await connect(admin);
    const second = await connect(admin);
    try {
      const refused = await assertRejectsCode(() => connect(admin, { reconnect: false }), "limit_exceeded");
      assert(refused.message.includes("connections"));
      await first.ping();
    } finally {
      first.close();
      second.close();
    }
  }, (config) => {
    config.limits.connections = 2;
  });
});

Deno.test("transaction is atomic: a failing op leaves no write of the group", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      const existing = await db.insert("tx", { n: 0 });
      const result = await db.batch([
        { op: "insert", store: "tx", doc: { n: 1 } },
        { op: "update", store: "tx", key: existing, set: { n: 10 } },
      ]);
      assertEquals(result.keys.length, 2);
      assertEquals(result.keys[1], existing);
      const failed = await assertRejectsCode(() =>
        db.batch([
          { op: "insert", store: "tx", doc: { n: 2 } },
          { op: "replace", store: "tx", key: "f".repeat(32), doc: { n: 3 } },
        ]), "not_found");
      assertEquals((failed as unknown as { details: { field: string } }).details.field, "ops.1.key");
      const docs = await db.scan<{ n: number }>("tx");
      assertEquals(docs.map((d) => d.n).sort((a, b) => a - b), [1, 10]);
    } finally {
      db.close();
    }
  });
});

Deno.test("batch runs requests in order and reports each result or error", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      const key = "1".repeat(32);
      const result = await db.request("batch", {
        requests: [
          { op: "put", store: "b", key, doc: { v: 1 } },
          { op: "get", store: "b", key },
          { op: "get", store: "missing", key },
          { op: "shutdown" },
        ],
      }) as { results: { ok: boolean; result?: unknown; error?: { code: string } }[] };
      assertEquals(result.results.map((r) => r.ok), [true, true, false, false]);
      assertEquals((result.results[1].result as { v: number }).v, 1);
      assertEquals(result.results[2].error?.code, "not_found");
      await db.ping();
    } finally {
      db.close();
    }
  });
});
