/** The spliced get reply decodes to exactly what encoding the executor's shape would give. */
import { BSON } from "bson";
import { assertEquals } from "../../_util/assert.ts";
import { findReplyBson, getReplyBson, splicable } from "../../../host/guest/raw_reply.ts";

const KEY = "0123456789abcdef0123456789abcdef";
const LAST_KEY = "f".repeat(32);

Deno.test("getReplyBson splices the stored document after its key, and null when absent", () => {
  const doc = { title: "Tea <b>", amount: 3.5, tags: ["a", "é"], nested: { n: 1 }, when: new Date(0) };
  const reply = getReplyBson(KEY, BSON.serialize(doc));
  assertEquals(BSON.deserialize(reply), { ok: true, result: { key: KEY, ...doc } });
  assertEquals(Object.keys(BSON.deserialize(reply).result)[0], "key");
  assertEquals(BSON.deserialize(getReplyBson(KEY, undefined)), { ok: true, result: null });
  assertEquals(BSON.deserialize(getReplyBson(KEY, BSON.serialize({}))), { ok: true, result: { key: KEY } });
});

Deno.test("answerHostCall answers a raw point get with the spliced reply", async () => {
  const { openDatabase } = await import("../../../engine/mod.ts");
  const { transaction } = await import("../../../engine/tx/transaction.ts");
  const { answerHostCall } = await import("../../../host/guest/sandbox.ts");
  const { RAW_REPLY } = await import("../../../host/guest/guest.ts");
  const dir = await Deno.makeTempDir();
  const db = await openDatabase(dir);
  try {
    await db.createStore("svc__items");
    const key = await transaction(db, (tx) => tx.store("svc__items").insert({ n: 1 }));
    await transaction(db, (tx) => {
      const scope = { service: "svc", tx, log: () => {}, logLines: 0 };
      const raw = answerHostCall(scope, { op: "get", store: "items", key }, "bson")[RAW_REPLY] as Uint8Array;
      assertEquals(BSON.deserialize(raw), { ok: true, result: { key, n: 1 } });
      assertEquals(answerHostCall(scope, { op: "get", store: "items", key }), {
        ok: true,
        result: { key, n: 1 },
      });
    });
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findReplyBson splices every row after its key, in order", () => {
  const docs = [{ a: 1, s: "x" }, {}, { t: ["é"], d: new Date(5), n: { m: null } }];
  const rows = docs.map((doc, i) => ({ key: KEY.slice(0, 31) + i, bytes: BSON.serialize(doc) }));
  const reply = BSON.deserialize(findReplyBson(rows));
  assertEquals(reply, { ok: true, result: docs.map((doc, i) => ({ key: rows[i].key, ...doc })) });
  assertEquals(BSON.deserialize(findReplyBson([])), { ok: true, result: [] });
  const many = Array.from({ length: 12 }, (_, i) => ({ key: KEY, bytes: BSON.serialize({ i }) }));
  assertEquals(BSON.deserialize(findReplyBson(many)).result.map((r: { i: number }) => r.i), [...many.keys()]);
});

Deno.test("splicable is false only for a document with a top-level field named key", () => {
  const cases: [Record<string, unknown>, boolean][] = [
    [{}, true],
    [{ title: "key", nested: { key: 1 }, list: [{ key: 2 }] }, true],
    [{ keys: 1, ke: 2, akey: 3 }, true],
    [{ a: 1.5, b: new Date(0), c: null, d: true, e: 7n, f: new Uint8Array(3), g: /x/g, key: 1 }, false],
    [{ key: "k" }, false],
  ];
  for (const [i, [doc, want]] of cases.entries()) {
    assertEquals(splicable(BSON.serialize(doc)), want, `case ${i}`);
  }
});

Deno.test("answerHostCall answers a raw find exactly as the executor's rows", async () => {
  const { openDatabase } = await import("../../../engine/mod.ts");
  const { transaction } = await import("../../../engine/tx/transaction.ts");
  const { answerHostCall } = await import("../../../host/guest/sandbox.ts");
  const { RAW_REPLY } = await import("../../../host/guest/guest.ts");
  const dir = await Deno.makeTempDir();
  const db = await openDatabase(dir);
  try {
    await db.createStore("svc__items");
    await db.createIndex("svc__by_status", "svc__items", [
      { path: "status", direction: "asc" },
      { path: "created", direction: "desc" },
    ]);
    await transaction(db, (tx) => {
      for (let i = 0; i < 30; i++) {
        tx.store("svc__items").insert({ status: ["open", "paid"][i % 2], created: i, n: i % 7 });
      }
    });
    const eqOpen = { field: "status", op: "eq", value: "open" };
    const queries = [
      {
        op: "find",
        store: "items",
        filter: eqOpen,
        orderBy: [{ field: "created", direction: "desc" }],
        limit: 5,
      },
      {
        op: "find",
        store: "items",
        filter: { and: [eqOpen, { field: "n", op: "gt", value: 2 }] },
        orderBy: [{ field: "created", direction: "desc" }],
        limit: 4,
      },
      { op: "find", store: "items", filter: eqOpen, orderBy: [{ field: "n", direction: "asc" }], limit: 6 },
      { op: "find", store: "items", limit: 3, skip: 2 },
      { op: "find", store: "items", filter: eqOpen, select: ["n"], limit: 2 },
    ];
    await transaction(db, (tx) => {
      const scope = { service: "svc", tx, log: () => {}, logLines: 0 };
      for (const query of queries) {
        const plain = answerHostCall(scope, query);
        const raw = answerHostCall(scope, query, "bson");
        const bytes = raw[RAW_REPLY] as Uint8Array | undefined;
        if (query.select !== undefined) assertEquals(raw, plain);
        else assertEquals(BSON.deserialize(bytes!), plain, JSON.stringify(query));
      }
    });
    // A stored document with a field of its own named "key" is answered the usual way.
    const key = await transaction(
      db,
      (tx) => tx.store("svc__items").put(LAST_KEY, BSON.serialize({ key: 1 })),
    );
    await transaction(db, (tx) => {
      const scope = { service: "svc", tx, log: () => {}, logLines: 0 };
      const get = { op: "get", store: "items", key };
      assertEquals(answerHostCall(scope, get, "bson"), { ok: true, result: { key } });
      const find = { op: "find", store: "items", range: { from: LAST_KEY } };
      assertEquals(answerHostCall(scope, find, "bson"), { ok: true, result: [{ key }] });
    });
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
