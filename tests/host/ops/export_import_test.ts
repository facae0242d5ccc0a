/**
 * Export → import through the engine's real batch API on a temp directory: every BSON type keeps
 * its exact bytes, 100k documents round trip document by document, bad records are reported by
 * line and field, --skip-bad semantics, refused batches.
 */
import {
  Binary,
  BSON,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
} from "bson";
import { batch } from "../../../engine/db/store.ts";
import type { Database } from "../../../engine/db/database.ts";
import {
  type BadRecord,
  databaseRows,
  databaseSink,
  exportRows,
  importLines,
  parseExportFilter,
  validateLines,
} from "../../../host/ops/mod.ts";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withDatabase, withTempDir } from "../../_util/temp_db.ts";

/** One document holding every BSON type the bson package writes. */
function everyType(i: number): Uint8Array {
  return BSON.serialize({
    string: `s${i}`,
    int32: new Int32(i),
    double: new Double(i), // integral double: must not come back as int32
    fraction: 0.1 + i,
    nan: NaN,
    infinity: -Infinity,
    negativeZero: -0,
    int64: Long.fromString("9223372036854775807"),
    bigint: BigInt(i) * 10n ** 15n,
    decimal: Decimal128.fromString("1234.5600"),
    binary: new Binary(new Uint8Array([0, 1, 2, 255]), 0),
    userBinary: new Binary(new Uint8Array([9, 9]), 0x80),
    uuid: new UUID("0e9a1c5a-3f7b-4c2e-9d1a-7b6c5d4e3f2a"),
    date: new Date(Date.UTC(2020, 0, 1) + i),
    negativeDate: new Date(-1),
    objectId: new ObjectId("65f0a1b2c3d4e5f601234567"),
    timestamp: new Timestamp({ t: 1_700_000_000, i: 7 }),
    min: new MinKey(),
    max: new MaxKey(),
    regex: new BSONRegExp("^a.c$", "im"),
    code: new Code("function () { return 1; }"),
    codeWithScope: new Code("x + 1", { x: new Int32(1) }),
    symbol: new BSONSymbol("sym"),
    null: null,
    bool: true,
    array: [new Int32(1), "two", [new Double(3)], { four: new Long(4) }],
    nested: { deeper: { date: new Date(5), bytes: new Binary(new Uint8Array(0)) } },
    "dotted.name": "kept",
    "": "empty name",
    unicode: "naïve — 日本 \u{1F600} \u0000 inside",
  });
}

/** Writes the rows of `store` as JSON lines into memory. */
async function exportToLines(db: Database, store: string, filter?: string): Promise<string[]> {
  const chunks: Uint8Array[] = [];
  const writer = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk) }).getWriter();
  await exportRows(databaseRows(db, store), writer, {
    filter: filter === undefined ? undefined : parseExportFilter(filter),
  });
  const text = new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  assert(text === "" || text.endsWith("\n"), "every record ends with a line break");
  return text === "" ? [] : text.slice(0, -1).split("\n");
}

async function* linesOf(lines: readonly string[]): AsyncGenerator<string> {
  yield* lines;
}

async function fill(db: Database, store: string, docs: Uint8Array[]): Promise<void> {
  await db.createStore(store);
  for (let at = 0; at < docs.length; at += 10_000) {
    await batch(db, docs.slice(at, at + 10_000).map((doc) => ({ op: "insert", store, doc })));
  }
}

function assertSameStores(db: Database, source: string, target: string): void {
  const expected = [...databaseRows(db, source)];
  const actual = [...databaseRows(db, target)];
  assertEquals(actual.length, expected.length, "document count");
  for (let i = 0; i < expected.length; i++) {
    assertEquals(actual[i].key, expected[i].key, `key of document ${i}`);
    assert(
      actual[i].bytes.length === expected[i].bytes.length &&
        actual[i].bytes.every((byte, at) => byte === expected[i].bytes[at]),
      `bytes of document ${expected[i].key} differ`,
    );
  }
}

Deno.test("export then import keeps every BSON type byte for byte", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      await fill(db, "source", [0, 1, 2, 3].map(everyType));
      const lines = await exportToLines(db, "source");
      assertEquals(lines.length, 4);
      const first = JSON.parse(lines[0]);
      assertEquals(first.doc.double, { $numberDouble: "0.0" });
      assertEquals(first.doc.int64, { $numberLong: "9223372036854775807" });
      assertEquals(first.doc.decimal, { $numberDecimal: "1234.5600" });
      assertEquals(first.doc.date, { $date: { $numberLong: String(Date.UTC(2020, 0, 1)) } });
      const result = await importLines(linesOf(lines), databaseSink(db), { store: "target", keys: "keep" });
      assertEquals(result, { lines: 4, imported: 4, rejected: 0 });
      assertSameStores(db, "source", "target");
    })
  );
});

Deno.test("100k documents round trip document by document, and --keys new gives new keys", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, { durability: "interval:50" }, async (db) => {
      const docs = Array.from({ length: 100_000 }, (_, i) =>
        BSON.serialize({
          n: new Int32(i),
          big: BigInt(i) * 3_000_000_000n,
          price: new Double(i / 8),
          at: new Date(1_600_000_000_000 + i),
          tag: `t${i % 97}`,
          bytes: new Binary(new Uint8Array([i & 255, (i >> 8) & 255])),
          items: i % 3 === 0 ? [] : [{ sku: i, qty: new Int32(i % 5) }],
        }));
      await fill(db, "big", docs);
      const lines = await exportToLines(db, "big");
      assertEquals(lines.length, 100_000);
      const kept = await importLines(linesOf(lines), databaseSink(db), { store: "copy", keys: "keep" });
      assertEquals(kept, { lines: 100_000, imported: 100_000, rejected: 0 });
      assertSameStores(db, "big", "copy");
      const renewed = await importLines(linesOf(lines.slice(0, 1_000)), databaseSink(db), {
        store: "renewed",
        keys: "new",
      });
      assertEquals(renewed.imported, 1_000);
      const sourceKeys = new Set([...databaseRows(db, "big")].map((row) => row.key));
      const newRows = [...databaseRows(db, "renewed")];
      assertEquals(newRows.length, 1_000);
      assert(newRows.every((row) => !sourceKeys.has(row.key)), "--keys new writes new keys");
    })
  );
});

Deno.test("export --filter keeps only the matching documents", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      await fill(
        db,
        "orders",
        [1, 2, 3, 4].map((n) => BSON.serialize({ n, status: n % 2 ? "open" : "done" })),
      );
      const lines = await exportToLines(db, "orders", 'status = "open" and n > 1');
      assertEquals(lines.map((line) => JSON.parse(line).doc.n), [{ $numberInt: "3" }]);
      await assertRejectsCode(() => parseExportFilter("n >"), "invalid_argument");
    })
  );
});

const GOOD = '{"key":"0000000000000000000000000000000a","doc":{"a":{"$numberInt":"1"}}}';
const BAD_LINES = [
  GOOD,
  "",
  "not json",
  '{"key":"zz","doc":{}}',
  '{"doc":{"a":{"b":[1,{"$numberLong":"x"}]}}}',
  '{"doc":{"a":1},"extra":true}',
  '{"doc":[1]}',
  '{"key":"0000000000000000000000000000000b","doc":{"when":{"$date":"yesterday"}}}',
  '{"doc":{"n":{"$numberInt":"1.5"}}}',
];

Deno.test("validation reports the line and field of every bad record", async () => {
  const { bad, badCount, lines } = await validateLines(linesOf(BAD_LINES));
  assertEquals(lines, 9);
  assertEquals(badCount, 7);
  assertEquals(bad.map((record) => [record.line, record.field]), [
    [3, undefined],
    [4, "key"],
    [5, "doc.a.b.1"],
    [6, "extra"],
    [7, "doc"],
    [8, "doc.when"],
    [9, "doc.n"],
  ]);
  assert(bad[0].reason.startsWith("invalid JSON"), bad[0].reason);
  assertEquals(bad[1].record, BAD_LINES[3]);
});

Deno.test("import without onReject stops at the first bad line and names it", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      const error = await assertRejectsCode(
        () => importLines(linesOf(BAD_LINES), databaseSink(db), { store: "s", keys: "keep" }),
        "invalid_argument",
        "line 3",
      );
      assertEquals(error.location?.line, 3);
    })
  );
});

Deno.test("skip-bad imports the rest, rejects with reasons, and rejects keys that exist", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      const rejects: BadRecord[] = [];
      const onReject = (bad: BadRecord) => Promise.resolve(void rejects.push(bad));
      const result = await importLines(linesOf(BAD_LINES), databaseSink(db), {
        store: "s",
        keys: "keep",
        onReject,
      });
      assertEquals(result, { lines: 9, imported: 1, rejected: 7 });
      assertEquals(rejects.map((bad) => bad.line), [3, 4, 5, 6, 7, 8, 9]);
      // Importing the same good record again: its batch is refused (the key exists), then retried one
      // by one so only the conflicting record is rejected.
      rejects.length = 0;
      const fresh = '{"key":"0000000000000000000000000000000c","doc":{}}';
      const again = await importLines(linesOf([GOOD, fresh]), databaseSink(db), {
        store: "s",
        keys: "keep",
        onReject,
      });
      assertEquals(again, { lines: 2, imported: 1, rejected: 1 });
      assertEquals(rejects[0].line, 1);
      assert(rejects[0].reason.includes("already exists"), rejects[0].reason);
      assertEquals([...databaseRows(db, "s")].length, 2);
      // Without skip-bad the refused batch is an error naming its lines, and nothing of it is written.
      await assertRejectsCode(
        () =>
          importLines(
            linesOf(['{"key":"0000000000000000000000000000000d","doc":{}}', GOOD]),
            databaseSink(db),
            {
              store: "s",
              keys: "keep",
            },
          ),
        "invalid_argument",
        "lines 1-2",
      );
      assertEquals([...databaseRows(db, "s")].length, 2, "the refused batch wrote nothing");
    })
  );
});
