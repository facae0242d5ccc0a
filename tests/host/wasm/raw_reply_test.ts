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
