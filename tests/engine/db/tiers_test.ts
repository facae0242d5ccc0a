/**
 * The persistent tiers through the Database: 200k documents across several flushes, value-log
 * segments, B+tree splits and merges, online GC under concurrent writes, reopen, and corruption.
 */
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { batch, type Database, openDatabase, Store, type WriteOp } from "../../../engine/mod.ts";
import { withTempDir } from "../../_util/temp_db.ts";

const DOCS = 200_000;
const BATCH = 2_000;
const OPTIONS = { memtableBytes: 8 << 20, vlogSegmentBytes: 8 << 20, gcDeadRatio: 0 };

function keyOf(i: number): string {
  // spread keys over the key space (multiplicative hash), unique for i < 2^32
  const h = Math.imul(i, 0x9e3779b1) >>> 0;
  return h.toString(16).padStart(8, "0") + i.toString(16).padStart(24, "0");
}

async function load(db: Database, from: number, to: number, version: number): Promise<void> {
  for (let at = from; at < to; at += BATCH) {
    const ops: WriteOp[] = [];
    for (let i = at; i < Math.min(to, at + BATCH); i++) {
      ops.push({ op: "put", store: "docs", key: keyOf(i), doc: { i, version, pad: "x".repeat(i % 200) } });
    }
    await batch(db, ops);
  }
}

function check(store: Store, from: number, to: number, version: (i: number) => number | undefined): void {
  for (let i = from; i < to; i++) {
    const doc = store.get(keyOf(i));
    const want = version(i);
    if (want === undefined) assertEquals(doc, undefined, `doc ${i} should be gone`);
    else assertEquals(doc?.version, want, `doc ${i}`);
  }
}

Deno.test("Database keeps 200k documents across flushes, segments, GC and reopen", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck-tiers-" });
  try {
    let db = await openDatabase(dir, OPTIONS);
    await db.createStore("docs");
    await load(db, 0, DOCS, 1);
    let stats = db.stats();
    assert(stats.flushes >= 3, `several flushes ran (${stats.flushes})`);
    // Overwrite a third and delete three quarters: dead value-log bytes, B+tree merges.
    await load(db, 0, DOCS / 3, 2);
    const deletes: WriteOp[] = [];
    for (let i = DOCS / 4; i < DOCS; i++) {
      deletes.push({ op: "delete", store: "docs", key: keyOf(i) });
    }
    for (let at = 0; at < deletes.length; at += BATCH) await batch(db, deletes.slice(at, at + BATCH));
    await db.flush();
    stats = db.stats();
    assert(stats.tiers.vlogSegments >= 3, `several value-log segments (${stats.tiers.vlogSegments})`);
    assert(stats.tiers.treeSplits > 0, "the B+tree split pages");
    assert(
      stats.tiers.treeMerges + stats.tiers.treeRedistributions > 0,
      `the B+tree merged or redistributed pages: ${JSON.stringify(stats.tiers)}`,
    );
    const deadBefore = stats.tiers.vlogDeadBytes;
    assert(deadBefore > 0, "overwrites left dead bytes");
    const version = (i: number) => i >= DOCS / 4 ? undefined : 2;

    // Online GC while a writer keeps going.
    const bytesBefore = stats.tiers.vlogBytes;
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        await new Store(db, "docs").put(keyOf(DOCS + n), { i: DOCS + n, version: 3, pad: "" });
        n++;
      }
      return n;
    })();
    const gc = await db.gc({ ratio: 0.2 });
    writing = false;
    const extra = await writer;
    assert(gc.segments.length > 0, "GC collected segments");
    assert(gc.freedBytes > 0, "GC freed bytes");
    await db.flush();
    assert(db.stats().tiers.vlogDeadBytes < deadBefore, "dead bytes went down");
    assert(db.stats().tiers.vlogBytes < bytesBefore + extra * 200, "the value log shrank");
    check(new Store(db, "docs"), 0, DOCS, version);
    await db.close();

    db = await openDatabase(dir, OPTIONS);
    const store = new Store(db, "docs");
    check(store, 0, DOCS, version);
    check(store, DOCS, DOCS + extra, () => 3);
    // Scans merge tiers: ascending and descending agree and are sorted.
    const up = store.scanRaw().map(([k]) => k);
    const down = store.scanRaw({ reverse: true }).map(([k]) => k);
    assertEquals(up.length, DOCS / 4 + extra);
    assertEquals(down, [...up].reverse());
    for (let i = 1; i < up.length; i++) assert(up[i - 1] < up[i], "scan is sorted");
    await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database reports a corrupt B+tree page with the file and offset", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck-tiers-" });
  try {
    let db = await openDatabase(dir);
    await db.createStore("docs");
    const ops: WriteOp[] = [];
    for (let i = 0; i < 5_000; i++) ops.push({ op: "put", store: "docs", key: keyOf(i), doc: { i } });
    await batch(db, ops);
    await db.close(); // flushes into index.btree
    const path = `${dir}/index.btree`;
    const bytes = Deno.readFileSync(path);
    const page = Math.floor(bytes.length / 4096) - 1; // the last page: a node, not a meta page
    bytes[page * 4096 + 100] ^= 0xff;
    Deno.writeFileSync(path, bytes);
    const error = await assertRejectsCode(async () => {
      db = await openDatabase(dir);
      try {
        new Store(db, "docs").scanRaw();
      } finally {
        await db.close();
      }
    }, "corruption");
    assert(error.message.includes("index.btree"), error.message);
    assertEquals(error.location?.offset, page * 4096);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database drops a store's flushed documents and never shows them again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck-tiers-" });
  try {
    let db = await openDatabase(dir);
    await db.createStore("docs");
    await batch(db, [{ op: "put", store: "docs", key: keyOf(1), doc: { i: 1 } }]);
    await db.flush();
    await db.dropStore("docs");
    await db.createStore("docs");
    assertEquals(new Store(db, "docs").get(keyOf(1)), undefined);
    await db.flush();
    await db.close();
    db = await openDatabase(dir);
    assertEquals(new Store(db, "docs").scanRaw().length, 0);
    await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the document cache (docCacheBytes) stays within its bound and never serves a stale version", async () => {
  await withTempDir(async (dir) => {
    const db = await openDatabase(dir, {
      docCacheBytes: 64 * 1024,
      vlogSegmentBytes: 64 * 1024,
      gcDeadRatio: 0.3,
    });
    try {
      await db.createStore("docs");
      const docs = new Store(db, "docs");
      const keys: string[] = [];
      for (let i = 0; i < 2_000; i++) keys.push(await docs.insert({ i, version: 0, pad: "p".repeat(100) }));
      await db.flush();
      for (const key of keys) docs.get(key); // fills the cache
      const cached = db.stats().tiers.docCacheBytes;
      assertEquals(cached > 0 && cached <= 64 * 1024, true, `cached ${cached}`);
      for (let i = 0; i < keys.length; i += 2) await docs.update(keys[i], { version: 1 });
      await db.flush();
      await db.gc({ ratio: 0 });
      for (let i = 0; i < keys.length; i++) {
        assertEquals(
          docs.get(keys[i])?.version,
          i % 2 === 0 ? 1 : 0,
          `document ${i} after overwrite, flush, GC`,
        );
      }
      assertEquals(db.stats().tiers.docCacheBytes <= 64 * 1024, true);
    } finally {
      await db.close();
    }
  });
});
