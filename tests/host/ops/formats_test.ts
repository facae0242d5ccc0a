/**
 * The BSON and CSV forms of export/import, through the engine's real batch API on a temp
 * directory: BSON keeps every type byte for byte (and 100k documents); CSV round trips nested
 * fields, arrays, nulls, absent fields and awkward strings through its manifest; bad records are
 * reported by line (CSV) or document number (BSON) and field; --filter, --keys and skip-bad work
 * the same for every format.
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
  bsonRecords,
  checkCsvManifest,
  type CsvManifest,
  csvRecords,
  databaseRows,
  databaseSink,
  exportCsv,
  exportRows,
  importRecords,
  parseExportFilter,
  type SourceRecord,
  validateRecords,
} from "../../../host/ops/mod.ts";
import { assert, assertEquals } from "../../_util/assert.ts";
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
      `bytes of document ${expected[i].key} differ: ${JSON.stringify(BSON.deserialize(actual[i].bytes))} vs ${
        JSON.stringify(BSON.deserialize(expected[i].bytes))
      }`,
    );
  }
}

async function exportBson(db: Database, store: string, path: string, filter?: string): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const writer = file.writable.getWriter();
  await exportRows(databaseRows(db, store), writer, {
    format: "bson",
    filter: filter === undefined ? undefined : parseExportFilter(filter),
  });
  await writer.close();
}

async function* bsonFile(path: string): AsyncGenerator<SourceRecord> {
  using file = await Deno.open(path);
  yield* bsonRecords(file.readable);
}

async function* lines(path: string): AsyncGenerator<string> {
  const text = await Deno.readTextFile(path);
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  yield* all;
}

async function manifestOf(path: string): Promise<CsvManifest> {
  const value = JSON.parse(await Deno.readTextFile(path));
  assertEquals(checkCsvManifest(value), undefined);
  return value;
}

Deno.test("bson: export then import keeps every BSON type byte for byte; mongodump framing", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      await fill(db, "source", [0, 1, 2, 3].map(everyType));
      await exportBson(db, "source", `${dir}/out.bson`);
      const bytes = await Deno.readFile(`${dir}/out.bson`);
      // Length-prefixed documents back to back: each parses as {key, doc}.
      let at = 0;
      let count = 0;
      while (at < bytes.length) {
        const length = new DataView(bytes.buffer, at, 4).getInt32(0, true);
        const record = BSON.deserialize(bytes.subarray(at, at + length));
        assertEquals(Object.keys(record), ["key", "doc"]);
        at += length;
        count++;
      }
      assertEquals(count, 4);
      const result = await importRecords(bsonFile(`${dir}/out.bson`), databaseSink(db), {
        store: "copy",
        keys: "keep",
      });
      assertEquals(result.imported, 4);
      assertSameStores(db, "source", "copy");
    })
  );
});

Deno.test("bson: 100k documents round trip document by document; --filter and --keys new", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      const docs = Array.from({ length: 100_000 }, (_, i) =>
        BSON.serialize({ i: new Int32(i), even: i % 2 === 0, name: `n${i}`, at: new Date(i) }));
      await fill(db, "big", docs);
      await exportBson(db, "big", `${dir}/big.bson`);
      const result = await importRecords(bsonFile(`${dir}/big.bson`), databaseSink(db), {
        store: "big_copy",
        keys: "keep",
      });
      assertEquals(result, { lines: 100_000, imported: 100_000, rejected: 0 });
      assertSameStores(db, "big", "big_copy");
      await exportBson(db, "big", `${dir}/even.bson`, "even = true and i < 1000");
      const renewed = await importRecords(bsonFile(`${dir}/even.bson`), databaseSink(db), {
        store: "even",
        keys: "new",
      });
      assertEquals(renewed.imported, 500);
      const evenKeys = new Set([...databaseRows(db, "even")].map((row) =>
        row.key
      ));
      for (const row of databaseRows(db, "big")) assert(!evenKeys.has(row.key), "--keys new gives new keys");
    })
  );
});

Deno.test("bson: a bad document is reported by number and field; skip-bad imports the rest", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      const good = (i: number) => BSON.serialize({ doc: { i } });
      const badKey = BSON.serialize({ key: "xyz", doc: { i: 2 } });
      const extra = BSON.serialize({ doc: { i: 3 }, other: 1 });
      const noDoc = BSON.serialize({ key: "0".repeat(32) });
      const file = new Blob([good(1), badKey, extra, noDoc, good(5)] as BlobPart[]);
      await Deno.writeFile(`${dir}/bad.bson`, new Uint8Array(await file.arrayBuffer()));
      const { bad, badCount } = await validateRecords(bsonFile(`${dir}/bad.bson`));
      assertEquals(badCount, 3);
      assertEquals(bad.map((b) => [b.line, b.field]), [[2, "key"], [3, "other"], [4, "doc"]]);
      const rejected: number[] = [];
      const result = await importRecords(bsonFile(`${dir}/bad.bson`), databaseSink(db), {
        store: "s",
        keys: "keep",
        onReject: (b) => Promise.resolve(void rejected.push(b.line)),
      });
      assertEquals(result, { lines: 5, imported: 2, rejected: 3 });
      assertEquals(rejected, [2, 3, 4]);
      // A length prefix that cannot be a record stops the import, naming its number and offset.
      await Deno.writeFile(`${dir}/cut.bson`, (await Deno.readFile(`${dir}/bad.bson`)).subarray(0, 30));
      let message = "";
      try {
        await validateRecords(bsonFile(`${dir}/cut.bson`));
      } catch (error) {
        message = (error as Error).message;
      }
      assert(message.includes("BSON document 2 at byte"), message);
    })
  );
});

/** Documents with nested fields, arrays, nulls, absent fields, awkward strings, in one field order. */
function csvDocs(): Uint8Array[] {
  return Array.from({ length: 50 }, (_, i) => {
    const doc: Record<string, unknown> = { name: `n${i}` };
    if (i % 3 !== 0) doc.note = ["", "a,b", 'say "hi"', "two\nlines", "null", "  spaced "][i % 6];
    doc.count = new Int32(i);
    doc.big = Long.fromString(`${9_000_000_000_000 + i}`);
    doc.price = new Double(i / 4);
    doc.ok = i % 2 === 0;
    doc.when = new Date(Date.UTC(2026, 0, 1) + i * 1000);
    doc.amount = Decimal128.fromString(`${i}.50`);
    doc.id = new ObjectId(i.toString(16).padStart(24, "0"));
    doc.customer = { name: `c${i}`, address: { city: i % 2 ? "Oslo" : null, zip: new Int32(1000 + i) } };
    doc.tags = i % 4 === 0 ? [] : ["t", new Int32(i), { k: "v" }];
    doc.mixed = i % 2 ? new Int32(i) : `s${i}`;
    doc.blob = new Binary(new Uint8Array([i, 255]), 0);
    doc.empty = {};
    doc["dot.ted"] = { inner: "x" };
    return BSON.serialize(doc);
  });
}

Deno.test("csv: nested fields round trip through the manifest byte for byte", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      await fill(db, "source", csvDocs());
      const result = await exportCsv(
        databaseRows(db, "source"),
        "source",
        `${dir}/out.csv`,
        `${dir}/out.json`,
      );
      assertEquals(result.records, 50);
      const manifest = await manifestOf(`${dir}/out.json`);
      const types = Object.fromEntries(manifest.columns.map((c) => [c.name, c.type]));
      assertEquals(types["customer.address.city"], "string");
      assertEquals(types["customer.address.zip"], "int32");
      assertEquals(types["big"], "int64");
      assertEquals(types["price"], "double");
      assertEquals(types["when"], "date");
      assertEquals(types["amount"], "decimal128");
      assertEquals(types["id"], "objectId");
      assertEquals(types["tags"], "ejson");
      assertEquals(types["mixed"], "ejson");
      assertEquals(types["blob"], "ejson");
      assertEquals(manifest.columns.find((c) => c.name === "dot.ted.inner")!.path, ["dot.ted", "inner"]);
      const header = (await Deno.readTextFile(`${dir}/out.csv`)).split("\n")[0];
      assert(header.startsWith('"_key","name","note","count"'), header);
      const imported = await importRecords(csvRecords(lines(`${dir}/out.csv`), manifest), databaseSink(db), {
        store: "copy",
        keys: "keep",
      });
      assertEquals(imported.imported, 50);
      assertSameStores(db, "source", "copy");
    })
  );
});

Deno.test("csv: a bad row names its line and column; a header that is not the manifest's stops", async () => {
  await withTempDir((dir) =>
    withDatabase(dir, {}, async (db) => {
      await fill(db, "source", csvDocs().slice(0, 5));
      await exportCsv(databaseRows(db, "source"), "source", `${dir}/out.csv`, `${dir}/out.json`);
      const manifest = await manifestOf(`${dir}/out.json`);
      const rows = (await Deno.readTextFile(`${dir}/out.csv`)).split("\n");
      const countAt = manifest.columns.findIndex((c) => c.name === "count") + 1;
      const cells = rows[3].split(",");
      cells[countAt] = "1.5";
      rows[3] = cells.join(",");
      rows.splice(2, 0, "");
      await Deno.writeTextFile(`${dir}/bad.csv`, rows.join("\n"));
      const { bad, badCount } = await validateRecords(csvRecords(lines(`${dir}/bad.csv`), manifest));
      assertEquals(badCount, 1);
      assertEquals(bad[0].line, 5);
      assertEquals(bad[0].field, "count");
      assert(bad[0].reason.includes("int32"), bad[0].reason);
      rows[0] = rows[0].replace('"name"', '"nom"');
      await Deno.writeTextFile(`${dir}/header.csv`, rows.join("\n"));
      let message = "";
      try {
        await validateRecords(csvRecords(lines(`${dir}/header.csv`), manifest));
      } catch (error) {
        message = (error as Error).message;
      }
      assert(message.includes('column 2 is "nom", the manifest says "name"'), message);
    })
  );
});

Deno.test("csv: without a manifest every cell is a string and dotted headers nest", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/plain.csv`,
      'name,address.city,_key\nAda,"Lon,don",\n"Bo",,' + "0".repeat(31) + "1\n",
    );
    await withDatabase(dir, {}, async (db) => {
      const result = await importRecords(csvRecords(lines(`${dir}/plain.csv`)), databaseSink(db), {
        store: "people",
        keys: "keep",
      });
      assertEquals(result.imported, 2);
      const docs = [...databaseRows(db, "people")].map((row) => BSON.deserialize(row.bytes));
      assertEquals(docs.find((d) => d.name === "Ada")!.address, { city: "Lon,don" });
      const bo = [...databaseRows(db, "people")].find((row) => BSON.deserialize(row.bytes).name === "Bo")!;
      assertEquals(bo.key, "0".repeat(31) + "1");
      assertEquals(BSON.deserialize(bo.bytes), { name: "Bo" });
    });
  });
});
