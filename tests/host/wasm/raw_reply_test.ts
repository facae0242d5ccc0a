/** The spliced get reply decodes to exactly what encoding the executor's shape would give. */
import { BSON } from "bson";
import { assertEquals } from "../../_util/assert.ts";
import { getReplyBson } from "../../../host/wasm/raw_reply.ts";

const KEY = "0123456789abcdef0123456789abcdef";

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
  const { transaction } = await import("../../../engine/transaction.ts");
  const { answerHostCall } = await import("../../../host/wasm/sandbox.ts");
  const { RAW_REPLY } = await import("../../../host/wasm/guest.ts");
  const dir = await Deno.makeTempDir();
  const db = await openDatabase(dir);
  try {
    await db.createStore("svc__items");
    const key = await transaction(db, (tx) => tx.store("svc__items").insert({ n: 1 }));
    await transaction(db, (tx) => {
      const scope = { service: "svc", tx, missing: new Set<string>(), log: () => {}, logLines: 0 };
      const raw = answerHostCall(scope, { op: "get", store: "items", key }, true)[RAW_REPLY] as Uint8Array;
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
