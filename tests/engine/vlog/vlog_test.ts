/**
 * Value pointers: the varint encoding of docs/formats/value_log.md ("Value pointer") round-trips at the
 * edges of every field and matches the worked example byte for byte. A damaged entry fails its read.
 */
import { assertEquals } from "../../_util/assert.ts";
import { decodePointer, encodePointer, isPointer, POINTER_BYTES_MAX } from "../../../engine/vlog/vlog.ts";
import { CorruptionError, openDatabase, Store } from "../../../engine/mod.ts";
import { withTempDir } from "../../_util/temp_db.ts";

Deno.test("encodePointer writes three LEB128 varints, as in docs/formats/value_log.md", () => {
  const bytes = encodePointer({ segment: 1, offset: 1000, length: 300 });
  assertEquals(Array.from(bytes), [0x01, 0xe8, 0x07, 0xac, 0x02]);
  assertEquals(isPointer(bytes), true);
  assertEquals(isPointer(new Uint8Array(0)), false);
});

Deno.test("decodePointer inverts encodePointer from 0 to 2^35 - 1 in every field", () => {
  const edges = [
    0,
    1,
    127,
    128,
    16_383,
    16_384,
    2 ** 21,
    2 ** 28 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 35 - 1,
  ];
  for (const segment of edges) {
    for (const offset of edges) {
      for (const length of [0, 300, 16 * 1024 * 1024, 2 ** 35 - 1]) {
        const bytes = encodePointer({ segment, offset, length });
        assertEquals(bytes.length <= POINTER_BYTES_MAX, true);
        assertEquals(decodePointer(bytes), { segment, offset, length });
      }
    }
  }
});

for (const [count, where] of [[50, "last"], [600, "first"]] as const) {
  // 50 small documents: the segment is shorter than one 64 KiB block (a direct read); 600: the first
  // document lies in a complete block (the block cache).
  Deno.test(`a damaged value-log entry (${where} of ${count}) fails its read with a CorruptionError naming the segment and offset`, async () => {
    await withTempDir(async (dir) => {
      let db = await openDatabase(dir);
      await db.createStore("docs");
      const docs = new Store(db, "docs");
      const keys: string[] = [];
      for (let i = 0; i < count; i++) keys.push(await docs.insert({ i, text: "x".repeat(40) + i }));
      await db.flush();
      await db.close();
      const [segment] = [...Deno.readDirSync(`${dir}/vlog`)].map((e) => `${dir}/vlog/${e.name}`);
      const bytes = Deno.readFileSync(segment);
      const needle = new TextEncoder().encode("x".repeat(40));
      const found = (at: number) => needle.every((b, j) => bytes[at + j] === b);
      let at = where === "last" ? bytes.length - needle.length : 0;
      while (!found(at)) at += where === "last" ? -1 : 1;
      bytes[at] ^= 0x01;
      Deno.writeFileSync(segment, bytes);
      db = await openDatabase(dir);
      try {
        const store = new Store(db, "docs");
        let error: unknown;
        let good = 0;
        for (const key of keys) {
          try {
            store.get(key);
            good++;
          } catch (e) {
            error = e;
          }
        }
        assertEquals(good, count - 1, "every other entry still reads");
        assertEquals(error instanceof CorruptionError, true, String(error));
        const e = error as CorruptionError;
        assertEquals(e.location?.file, segment);
        assertEquals(typeof e.location?.offset, "number");
        assertEquals(/bad entry at offset \d+/.test(e.message), true, e.message);
      } finally {
        await db.close();
      }
    });
  });
}

Deno.test("entries across a block boundary read from the block cache, twice, and a damaged one still fails its CRC", async () => {
  await withTempDir(async (dir) => {
    let db = await openDatabase(dir);
    await db.createStore("docs");
    const docs = new Store(db, "docs");
    const keys: string[] = [];
    for (let i = 0; i < 1500; i++) keys.push(await docs.insert({ i, text: "y".repeat(100 + (i % 37)) }));
    await db.flush();
    await db.close();
    const [segment] = [...Deno.readDirSync(`${dir}/vlog`)].map((e) => `${dir}/vlog/${e.name}`);
    const bytes = Deno.readFileSync(segment);
    assertEquals(bytes.length > 3 * 65536, true, "the segment has complete blocks after the boundary");
    bytes[65536] ^= 0x01; // inside the entry that spans blocks 0 and 1
    Deno.writeFileSync(segment, bytes);
    db = await openDatabase(dir);
    try {
      const store = new Store(db, "docs");
      for (let round = 0; round < 2; round++) { // cold (CRC checked), then warm (flags set)
        let failed = 0;
        for (const [i, key] of keys.entries()) {
          try {
            const doc = store.get(key) as { i: number; text: string };
            assertEquals([doc.i, doc.text.length], [i, 100 + (i % 37)]);
          } catch (e) {
            assertEquals(e instanceof CorruptionError, true, String(e));
            failed++;
          }
        }
        assertEquals(failed, 1, `round ${round}: only the damaged entry fails`);
      }
    } finally {
      await db.close();
    }
  });
});
