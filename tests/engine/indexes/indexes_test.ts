/**
 * Secondary indexes: for every index kind (single, compound with mixed directions, unique, nested
 * path, array elements), the entries the engine holds equal the entries recomputed from the
 * documents (scanned, counted and fetched) — after inserts, updates, deletes, flushes, value-log GC and reopen — and unique
 * indexes reject duplicates naming the index and the value.
 */
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { seededRandom, testSeed } from "../../_util/random.ts";
import {
  batch,
  type Database,
  type Document,
  openDatabase,
  Store,
  type WriteOp,
} from "../../../engine/mod.ts";
import { keyFromLatin1 } from "../../../engine/key.ts";

const KINDS = [
  { name: "by_status", fields: [{ path: "status", direction: "asc" as const }] },
  {
    name: "by_status_amount",
    fields: [{ path: "status", direction: "asc" as const }, { path: "amount", direction: "desc" as const }],
  },
  { name: "by_country", fields: [{ path: "customer.country", direction: "asc" as const }] },
  { name: "by_tag", fields: [{ path: "tags", direction: "asc" as const }] },
];

function randomDoc(random: () => number, i: number): Document {
  const statuses = ["new", "paid", "shipped", null, 3, true];
  const doc: Document = { n: i, amount: Math.floor(random() * 1000) / 10, serial: `s${i}` };
  if (random() < 0.9) doc.status = statuses[Math.floor(random() * statuses.length)];
  if (random() < 0.7) doc.customer = { country: ["DE", "FR", "US"][Math.floor(random() * 3)] };
  if (random() < 0.8) doc.tags = ["a", "b", "c", "d"].filter(() => random() < 0.5);
  return doc;
}

function checkIndexes(db: Database, label: string): void {
  const store = new Store(db, "orders");
  const docs = store.scan();
  for (const def of db.listIndexes("orders")) {
    const expected = new Set<string>();
    for (const { key, doc } of docs) {
      for (const entry of db.indexes.entries(def.id, doc, key)) expected.add(entry);
    }
    const actual = [...db.indexScan(def.id)];
    assertEquals(actual.length, expected.size, `${label}: ${def.name} entry count`);
    for (let i = 0; i < actual.length; i++) {
      assert(expected.has(actual[i]), `${label}: ${def.name} has a stale entry`);
      if (i > 0) assert(actual[i - 1] < actual[i], `${label}: ${def.name} entries are sorted`);
    }
    const reversed = [...db.indexScan(def.id, { reverse: true })];
    assertEquals(reversed, [...actual].reverse(), `${label}: ${def.name} reverse scan`);
    assertEquals(db.countIndexEntries(def.id), actual.length, `${label}: ${def.name} count`);
    const storeId = db.storeInfo("orders").id;
    const named = [...db.indexDocuments(def.id, storeId)];
    assertEquals(
      named.map(([key]) => key),
      actual.map((entry) => keyFromLatin1(entry, entry.length - 16)),
      `${label}: ${def.name} documents in index order`,
    );
    for (const [key, bytes] of named) {
      assertEquals(bytes, db.read(storeId, key), `${label}: ${def.name} document ${key}`);
    }
    assertEquals([...db.indexDocumentBytes(def.id, storeId)].length, named.length, `${label}: raw documents`);
    for (let i = 0; i + 1 < actual.length; i += Math.max(1, Math.floor(actual.length / 7))) {
      const j = Math.min(actual.length - 1, i + Math.floor(actual.length / 3));
      const counted = db.countIndexEntries(def.id, { from: actual[i], to: actual[j] });
      assertEquals(counted, j - i, `${label}: ${def.name} count of entries [${i}, ${j})`);
    }
  }
}

Deno.test("Database keeps every index kind equal to its documents through writes, flush, GC and reopen", async () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const dir = await Deno.makeTempDir({ prefix: "planck-index-" });
  const options = { memtableBytes: 256 * 1024, vlogSegmentBytes: 256 * 1024, gcDeadRatio: 0.3 };
  try {
    let db = await openDatabase(dir, options);
    await db.createStore("orders");
    const keys: string[] = [];
    const ops: WriteOp[] = [];
    for (let i = 0; i < 3_000; i++) ops.push({ op: "insert", store: "orders", doc: randomDoc(random, i) });
    keys.push(...(await batch(db, ops)).keys as string[]);
    for (const kind of KINDS) await db.createIndex(kind.name, "orders", kind.fields); // backfill
    await db.createIndex("by_serial", "orders", [{ path: "serial", direction: "asc" }], { unique: true });
    checkIndexes(db, `seed ${seed} after backfill`);
    for (let round = 0; round < 5; round++) {
      const writes: WriteOp[] = [];
      for (let j = 0; j < 400; j++) {
        const key = keys[Math.floor(random() * keys.length)];
        const r = random();
        if (r < 0.4) {
          writes.push({
            op: "put",
            store: "orders",
            key,
            doc: randomDoc(random, 1_000_000 + 1_000 * round + j),
          });
        } else if (r < 0.6) writes.push({ op: "delete", store: "orders", key });
        else {writes.push({
            op: "insert",
            store: "orders",
            doc: randomDoc(random, 100_000 * (round + 1) + j),
          });}
      }
      // One op per batch: duplicate serials across puts of one batch would be rejected as a whole.
      for (const op of writes) await batch(db, [op]);
      if (round % 2 === 1) await db.flush();
      checkIndexes(db, `seed ${seed} round ${round}`);
    }
    await db.gc({ ratio: 0.1 });
    checkIndexes(db, `seed ${seed} after GC`);
    await db.close();
    db = await openDatabase(dir, options);
    checkIndexes(db, `seed ${seed} after reopen`);
    await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database.createIndex unique rejects duplicates, naming the index and the value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck-index-" });
  try {
    const db = await openDatabase(dir);
    await db.createStore("users");
    const users = new Store(db, "users");
    await users.insert({ email: "a@x" });
    await users.insert({ email: "a@x" });
    await assertRejectsCode(
      () => db.createIndex("users_email", "users", [{ path: "email", direction: "asc" }], { unique: true }),
      "conflict",
      'Unique index "users_email" already has email="a@x"',
    );
    assertEquals(db.listIndexes().length, 0, "a failed unique index is dropped");
    const key = (await users.scan({ limit: 1 }))[0].key;
    await users.delete(key);
    await db.createIndex("users_email", "users", [{ path: "email", direction: "asc" }], { unique: true });
    await assertRejectsCode(() => users.insert({ email: "a@x" }), "conflict", "users_email");
    await assertRejectsCode(
      () =>
        batch(db, [
          { op: "insert", store: "users", doc: { email: "b@x" } },
          { op: "insert", store: "users", doc: { email: "b@x" } },
        ]),
      "conflict",
      'email="b@x"',
    );
    await users.insert({ email: "b@x" }); // nothing of the failed batch was written
    await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database.createIndex backfills while writes continue", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck-index-" });
  try {
    const db = await openDatabase(dir);
    await db.createStore("docs");
    const ops: WriteOp[] = [];
    for (let i = 0; i < 20_000; i++) ops.push({ op: "insert", store: "docs", doc: { v: i % 100 } });
    for (let i = 0; i < ops.length; i += 2_000) await batch(db, ops.slice(i, i + 2_000));
    let done = false;
    const building = db.createIndex("docs_v", "docs", [{ path: "v", direction: "asc" }]).then(() =>
      done = true
    );
    let writesDuringBackfill = 0;
    while (!done) {
      await new Store(db, "docs").insert({ v: 7 });
      writesDuringBackfill++;
    }
    await building;
    assert(writesDuringBackfill > 1, `writes went on during the backfill (${writesDuringBackfill})`);
    checkIndexesOf(db, "docs");
    await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function checkIndexesOf(db: Database, store: string): void {
  const docs = new Store(db, store).scan();
  for (const def of db.listIndexes(store)) {
    const expected = new Set<string>();
    for (const { key, doc } of docs) {
      for (const entry of db.indexes.entries(def.id, doc, key)) expected.add(entry);
    }
    assertEquals(new Set(db.indexScan(def.id)), expected);
  }
}
