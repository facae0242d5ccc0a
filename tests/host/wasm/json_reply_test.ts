/**
 * The JSON replies written from stored bytes (host/guest/json_reply.ts) read back in a guest exactly
 * as the reply encoded the usual way would: on random documents of every type they write, and
 * undefined (the caller's fallback) for every type or name they do not.
 */
import { BSON } from "bson";
import { assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { findReplyJson, getReplyJson } from "../../../host/guest/json_reply.ts";
import { decodeFromHost, encodeForGuest } from "../../../framework/guest_json.ts";
import { decodeDocument } from "../../../engine/document.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** The reply text of bytes a JSON writer returned. */
const textOf = (bytes: Uint8Array | undefined) => bytes === undefined ? undefined : UTF8.decode(bytes);
const KEY = "0123456789abcdef0123456789abcdef";
const STRINGS = [
  "",
  "plain",
  'quote " and \\ slash',
  "tab\there\nnewline",
  "é ü 中文 🎉",
  "<b>&amp;</b>",
  "\u0001\u001f",
  "nul \u0000 inside",
  "\u007f \u0080 \u07ff \u0800 \uffff \u{10ffff}",
  "x".repeat(100),
];

/** The reply as the host encodes it without the fast path: the executor's row shape, then encodeForGuest. */
function usual(key: string, stored: Uint8Array): unknown {
  return decodeFromHost(encodeForGuest({ ok: true, result: { key, ...decodeDocument(stored) } }));
}

function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 6 : 8));
  switch (pick) {
    case 0:
      return STRINGS[Math.floor(random() * STRINGS.length)];
    case 1:
      return [0, -0, 1.5, -3.25, 1e21, 1e-7, 2 ** 31, NaN, Infinity, -Infinity][Math.floor(random() * 10)];
    case 2:
      return Math.floor(random() * 2 ** 31) - 2 ** 30; // int32
    case 3:
      return random() < 0.5;
    case 4:
      return null;
    case 5:
      return STRINGS[Math.floor(random() * STRINGS.length)].slice(0, 3);
    case 6:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
    default:
      return randomDoc(random, depth + 1, false);
  }
}

function randomDoc(random: () => number, depth: number, top: boolean): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  const names = ["a", "user", "é", "sp ace", 'q"uote', "1", "10", "tags", "keys", top ? "note" : "key"];
  for (let n = Math.floor(random() * 6); n > 0; n--) {
    doc[names[Math.floor(random() * names.length)]] = randomValue(random, depth);
  }
  return doc;
}

Deno.test("getReplyJson reads back as the usual reply on random documents", async () => {
  await forEachSeed("json_reply get", (seed) => {
    const random = seededRandom(seed);
    for (let i = 0; i < 300; i++) {
      const stored = BSON.serialize(randomDoc(random, 0, true));
      const text = textOf(getReplyJson(KEY, stored));
      if (text === undefined) throw new Error(`no fast reply for ${JSON.stringify(decodeDocument(stored))}`);
      assertEquals(decodeFromHost(text), usual(KEY, stored));
      assertEquals(text.startsWith(`{"ok":true,"result":{"key":"${KEY}"`), true, "the key comes first");
    }
  });
  assertEquals(textOf(getReplyJson(KEY, undefined)), '{"ok":true,"result":null}');
  assertEquals(decodeFromHost(textOf(getReplyJson(KEY, BSON.serialize({})))!), {
    ok: true,
    result: { key: KEY },
  });
});

Deno.test("findReplyJson reads back as the usual reply, rows in order", async () => {
  await forEachSeed("json_reply find", (seed) => {
    const random = seededRandom(seed);
    const rows = Array.from({ length: 25 }, (_, i) => ({
      key: KEY.slice(0, 30) + String(i).padStart(2, "0"),
      bytes: BSON.serialize(randomDoc(random, 0, true)),
    }));
    const text = textOf(findReplyJson(rows))!;
    const want = decodeFromHost(
      encodeForGuest({ ok: true, result: rows.map((r) => ({ key: r.key, ...decodeDocument(r.bytes) })) }),
    );
    assertEquals(decodeFromHost(text), want);
  });
  assertEquals(textOf(findReplyJson([])), '{"ok":true,"result":[]}');
});

Deno.test("the JSON replies give way (undefined) on types and names they do not write", () => {
  const refused: Record<string, unknown>[] = [
    { when: new Date(0) },
    { big: 7n },
    { bytes: new Uint8Array([1, 2]) },
    { nested: { deep: [new Date(5)] } },
    { re: /x/g },
    { key: "own key field" },
    { id: new BSON.ObjectId() },
    { n: new BSON.Long(5) },
  ];
  for (const [i, doc] of refused.entries()) {
    const stored = BSON.serialize(doc);
    assertEquals(getReplyJson(KEY, stored), undefined, `get case ${i}`);
    assertEquals(
      findReplyJson([{ key: KEY, bytes: BSON.serialize({ a: 1 }) }, { key: KEY, bytes: stored }]),
      undefined,
      `find case ${i}`,
    );
  }
  // Stored bytes that are not UTF-8 (the engine never writes them; checked all the same).
  const bad = BSON.serialize({ s: "abcd" });
  bad[bad.indexOf(0x61)] = 0xff;
  assertEquals(getReplyJson(KEY, bad), undefined);
  const surrogate = BSON.serialize({ s: "abc" });
  surrogate.set([0xed, 0xa0, 0x80], surrogate.indexOf(0x61));
  assertEquals(getReplyJson(KEY, surrogate), undefined);
  // A nested field named "key" is the document's own data, kept.
  assertEquals(decodeFromHost(textOf(getReplyJson(KEY, BSON.serialize({ n: { key: 1 } })))!), {
    ok: true,
    result: { key: KEY, n: { key: 1 } },
  });
});

Deno.test("answerHostCall answers a JSON-form get and find from stored bytes, else as usual", async () => {
  const { openDatabase } = await import("../../../engine/mod.ts");
  const { transaction } = await import("../../../engine/tx/transaction.ts");
  const { answerHostCall } = await import("../../../host/guest/sandbox.ts");
  const { RAW_JSON_REPLY } = await import("../../../host/guest/guest.ts");
  const dir = await Deno.makeTempDir();
  const db = await openDatabase(dir);
  try {
    await db.createStore("svc__items");
    const plain = await transaction(db, (tx) => tx.store("svc__items").insert({ n: 1, s: "é" }));
    const dated = await transaction(db, (tx) => tx.store("svc__items").insert({ n: 2, when: new Date(7) }));
    await transaction(db, (tx) => {
      const scope = { service: "svc", tx, log: () => {}, logLines: 0 };
      const get = (key: string) => answerHostCall(scope, { op: "get", store: "items", key }, "json");
      assertEquals(decodeFromHost(textOf(get(plain)[RAW_JSON_REPLY] as Uint8Array)!), {
        ok: true,
        result: { key: plain, n: 1, s: "é" },
      });
      // A date takes a tag: answered as a document, which the tier then encodes with its tags.
      assertEquals(get(dated), { ok: true, result: { key: dated, n: 2, when: new Date(7) } });
      const find = answerHostCall(scope, {
        op: "find",
        store: "items",
        filter: { field: "n", op: "eq", value: 1 },
      }, "json");
      assertEquals(decodeFromHost(textOf(find[RAW_JSON_REPLY] as Uint8Array)!), {
        ok: true,
        result: [{ key: plain, n: 1, s: "é" }],
      });
      const projected = answerHostCall(scope, { op: "find", store: "items", select: ["n"] }, "json");
      assertEquals(projected, { ok: true, result: [{ key: plain, n: 1 }, { key: dated, n: 2 }] });
    });
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
