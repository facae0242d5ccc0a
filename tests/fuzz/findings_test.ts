/**
 * Regression tests for what the fuzz harness found (tests/fuzz/harness.ts). Each names the target,
 * the seed and case that found it, and checks the fix through the same public API.
 */
import { BSON } from "bson";
import { assert, assertEquals } from "../_util/assert.ts";
import { withTempDatabase } from "../_util/temp_db.ts";
import { Store } from "../../engine/db/store.ts";

Deno.test("finding write_api 0x5eed0001/117: a BSON regex that is no JS pattern is stored and read back", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    const docs = new Store(db, "docs");
    const key = await docs.insert(BSON.serialize({ re: new BSON.BSONRegExp("(", "x"), ok: /^a/i }));
    const doc = docs.get(key)!;
    assert(doc.re instanceof BSON.BSONRegExp, "kept as a BSONRegExp");
    assertEquals((doc.re as BSON.BSONRegExp).pattern, "(");
    assertEquals(docs.scan().length, 1);
  });
});

/** {s: "ab"} with the string's bytes or length replaced. */
function stringFrame(body: number[], declaredLength: number): Uint8Array {
  const element = [0x02, 0x73, 0x00, declaredLength, 0, 0, 0, ...body, 0x00];
  const total = 4 + element.length + 1;
  return new Uint8Array([total, 0, 0, 0, ...element, 0x00]);
}

Deno.test("finding write_api 1232695194/179 and 4035715753/143: raw frames with bad strings are refused", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    const docs = new Store(db, "docs");
    const bad = [
      stringFrame([0xff, 0xfe], 3), // not UTF-8
      stringFrame([0x61, 0x62], 9), // length past the document
      stringFrame([0x61, 0x62], 0), // length without room for the NUL
      new Uint8Array([12, 0, 0, 0, 0x08, 0x62, 0x00, 0x02, 0, 0, 0, 0]).subarray(0, 9), // cut
      new Uint8Array([9, 0, 0, 0, 0x08, 0x62, 0x00, 0x02, 0x00]), // boolean 2
    ];
    for (const [i, frame] of bad.entries()) {
      let code: string | undefined;
      try {
        await docs.insert(frame);
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      assertEquals(code, "invalid_argument", `frame ${i}`);
    }
    assertEquals(docs.scan().length, 0, "nothing stored");
    const good = stringFrame([0x61, 0xc3, 0xa9], 4);
    assertEquals(docs.get(await docs.insert(good)), { s: "aé" });
  });
});
