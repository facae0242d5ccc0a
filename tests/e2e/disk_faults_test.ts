/**
 * Disk faults injected through engine/fs.ts into the value log, the B+tree and the WAL of a real
 * database on real files (docs/storage-format.md, "Disk faults"): ENOSPC and EIO on write, EIO on
 * fsync, short writes, slow fsyncs, a disk that fills during a flush and during a value-log GC.
 * After each fault: the error names its code and file; reads keep answering every acknowledged
 * document; writes are refused (a tier fault) until the database is reopened, and a cleared fault does
 * not make a failed fsync succeed on retry; on reopen with a healthy disk every acknowledged
 * document is there with its last acknowledged value and nothing unacknowledged is.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { eioError, enospcError, FaultyFs } from "../_util/faulty_fs.ts";
import { copyDirSync, walFiles, withDatabase, withTempDir } from "../_util/temp_db.ts";
import { type Database, openDatabase } from "../../engine/db/database.ts";
import { Store } from "../../engine/db/store.ts";
import { PlanckError } from "../../protocol/errors.ts";

const VLOG = (path: string) => path.includes("/vlog/");
const TREE = (path: string) => path.endsWith(".btree");
const WAL = (path: string) => path.includes("/wal/");

/** What the store must hold: key → the `v` of its last acknowledged write. */
type Expected = Map<bigint, number>;

let faultsInjected = 0;

async function put(store: Store, expected: Expected, key: number, v: number, pad = 200): Promise<void> {
  await store.put(BigInt(key), { v, pad: "p".repeat(pad) });
  expected.set(BigInt(key), v);
}

async function codeOf(fn: () => Promise<unknown>): Promise<PlanckError | null> {
  try {
    await fn();
    return null;
  } catch (error) {
    assert(error instanceof PlanckError, `a PlanckError, not ${error}`);
    return error;
  }
}

function assertHolds(store: Store, expected: Expected, what: string): void {
  const found = new Map(store.scan().map((r) => [r.key as unknown as bigint, r.doc.v as number]));
  const rows = store.scan();
  assertEquals(rows.length, expected.size, `${what}: document count`);
  for (const [key, v] of expected) {
    assertEquals(store.get(key)?.v, v, `${what}: document ${key}`);
  }
  void found;
}

async function reopenHolds(dir: string, expected: Expected, what: string): Promise<void> {
  await withDatabase(dir, {}, (db) => {
    assertEquals(db.recovery.lost, null, `${what}: nothing moved aside`);
    assertHolds(new Store(db, "docs"), expected, `${what} after reopen`);
  });
}

/**
 * Opens a database on a FaultyFs, writes `seed` documents (flushed: they live in the tiers), runs
 * `fault`, then closes and reopens on the real disk to check `expected`.
 */
async function scenario(
  name: string,
  fault: (
    ctx: { db: Database; store: Store; fs: FaultyFs; expected: Expected; dir: string },
  ) => Promise<void>,
): Promise<void> {
  await withTempDir(async (root) => {
    const dir = `${root}/db`;
    const fs = new FaultyFs();
    const db = await openDatabase(dir, {
      fs,
      walPreallocateBytes: 0,
      gcDeadRatio: 0,
      vlogSegmentBytes: 64 * 1024,
    });
    const expected: Expected = new Map();
    try {
      await db.createStore("docs");
      const store = new Store(db, "docs");
      for (let i = 0; i < 300; i++) await put(store, expected, i, 0);
      await db.flush();
      await fault({ db, store, fs, expected, dir });
    } finally {
      faultsInjected += fs.faults;
      fs.budgetBytes = Infinity;
      fs.writeError = null;
      fs.syncError = null;
      await db.close().catch(() => {}); // a database whose tiers failed may refuse a clean close
    }
    await reopenHolds(dir, expected, name);
  });
}

/** Writes acknowledged before a tier fault, the fault at the next flush, then the checks. */
async function tierFault(
  ctx: { db: Database; store: Store; fs: FaultyFs; expected: Expected },
  inject: () => void,
  want: { code: string; file: (path: string) => boolean },
): Promise<void> {
  const { db, store, fs, expected } = ctx;
  for (let i = 0; i < 200; i++) await put(store, expected, i, 1); // overwrite: acknowledged in the WAL
  for (let i = 300; i < 400; i++) await put(store, expected, i, 1);
  inject();
  const error = await codeOf(() => db.flush());
  assert(error !== null, "the flush fails");
  assertEquals(error.code, want.code, error.message);
  assert(want.file(String(error.location.file ?? "")), `the error names the file: ${error.message}`);
  assertHolds(store, expected, "reads after the fault");
  const refused = await codeOf(() => store.put(9999n, { v: 9 }));
  assert(refused !== null, "writes are refused after a tier fault");
  // The fault clears; a retry must not turn the failure into success.
  fs.budgetBytes = Infinity;
  fs.writeError = null;
  fs.syncError = null;
  assert((await codeOf(() => db.flush())) !== null, "a failed flush is not retried into success");
  assert((await codeOf(() => store.put(9998n, { v: 9 }))) !== null, "writes stay refused until reopen");
  assertHolds(store, expected, "reads after the retry");
}

Deno.test("ENOSPC on a value-log write during a flush", async () => {
  await scenario("vlog ENOSPC", (ctx) =>
    tierFault(ctx, () => {
      ctx.fs.faultsOn = VLOG;
      ctx.fs.budgetBytes = 0;
    }, { code: "disk_full", file: VLOG }));
});

Deno.test("a disk that fills part way through a flush (partial write)", async () => {
  await scenario("flush fills the disk", (ctx) =>
    tierFault(ctx, () => {
      ctx.fs.faultsOn = (path) => VLOG(path) || TREE(path);
      ctx.fs.partialWrites = true;
      ctx.fs.budgetBytes = 20_000; // the first chunks fit, a later one does not
    }, { code: "disk_full", file: (path) => VLOG(path) || TREE(path) }));
});

Deno.test("EIO on a B+tree write during a flush", async () => {
  await scenario("tree EIO", (ctx) =>
    tierFault(ctx, () => {
      ctx.fs.faultsOn = TREE;
      ctx.fs.writeError = eioError();
    }, { code: "internal", file: TREE }));
});

Deno.test("EIO on the value log's fsync during a flush", async () => {
  await scenario("vlog fsync EIO", (ctx) =>
    tierFault(ctx, () => {
      ctx.fs.faultsOn = VLOG;
      ctx.fs.syncError = eioError();
    }, { code: "internal", file: VLOG }));
});

Deno.test("EIO on the B+tree's fsync during a flush", async () => {
  await scenario("tree fsync EIO", (ctx) =>
    tierFault(ctx, () => {
      ctx.fs.faultsOn = TREE;
      ctx.fs.syncError = eioError();
    }, { code: "internal", file: TREE }));
});

Deno.test("ENOSPC on the B+tree's fsync (a filesystem that allocates at writeback)", async () => {
  await scenario("tree fsync ENOSPC", (ctx) =>
    tierFault(ctx, () => {
      ctx.fs.faultsOn = TREE;
      ctx.fs.syncError = enospcError();
    }, { code: "disk_full", file: TREE }));
});

Deno.test("a disk that fills during a value-log GC, and a GC whose fsync fails", async () => {
  for (const inject of ["enospc", "fsync"] as const) {
    await scenario(`gc ${inject}`, async ({ db, store, fs, expected }) => {
      for (let round = 1; round <= 3; round++) {
        for (let i = 0; i < 240; i++) await put(store, expected, i, round); // old segments go mostly dead
        await db.flush();
      }
      fs.faultsOn = VLOG;
      if (inject === "enospc") fs.budgetBytes = 2_000; // GC copies the live entries: it runs out part way
      else fs.syncError = eioError();
      const error = await codeOf(() => db.gc({ ratio: 0.1 }));
      assert(error !== null, "the GC fails");
      assertEquals(error.code, inject === "enospc" ? "disk_full" : "internal", error.message);
      assertHolds(store, expected, "reads after a failed GC");
      fs.budgetBytes = Infinity;
      fs.syncError = null;
      if (inject === "fsync") {
        assert((await codeOf(() => db.gc({ ratio: 0.1 }))) !== null, "a failed GC sync is not retried");
        await put(store, expected, 7777, 1); // acknowledged by the WAL, which is healthy
        assert((await codeOf(() => db.flush())) !== null, "nor is the next flush's sync");
        assertHolds(store, expected, "reads after the refused flush");
      }
    });
  }
});

Deno.test("short writes everywhere and slow fsyncs: everything is written in full", async () => {
  await scenario("short writes", async ({ db, store, fs, expected }) => {
    fs.shortWrites = true;
    fs.syncDelayMs = 20;
    const writers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 40; i++) await put(store, expected, 1000 + w * 100 + i, w, 3000);
      })());
    await Promise.all(writers);
    for (let i = 0; i < 300; i++) await put(store, expected, i, 5);
    await db.flush();
    await db.gc({ ratio: 0.1 });
    assert(fs.faults > 100, `short writes injected: ${fs.faults}`);
    assertHolds(store, expected, "after short writes");
  });
});

Deno.test("EIO on the WAL's fsync: no writer is acknowledged, a power cut keeps only acknowledged writes", async () => {
  await withTempDir(async (root) => {
    const dir = `${root}/db`;
    const fs = new FaultyFs();
    const db = await openDatabase(dir, { fs, walPreallocateBytes: 0 });
    const expected: Expected = new Map();
    try {
      await db.createStore("docs");
      const store = new Store(db, "docs");
      for (let i = 0; i < 50; i++) await put(store, expected, i, 0);
      fs.faultsOn = WAL;
      fs.syncError = eioError();
      const error = await codeOf(() => store.put(500n, { v: 1 }));
      assertEquals(error?.code, "internal", error?.message);
      assert(/WAL sync failed/.test(error!.message), error!.message);
      fs.syncError = null;
      assert((await codeOf(() => store.put(501n, { v: 1 }))) !== null, "a failed WAL sync is not retried");
      for (const [key, v] of expected) assertEquals(store.get(key)?.v, v, "reads after a WAL fault");
      // A power cut now keeps of each WAL segment what its last good sync covered.
      copyDirSync(dir, `${root}/image`);
      for (const path of walFiles(dir)) {
        Deno.truncateSync(path.replace(dir, `${root}/image`), fs.syncedBytes.get(path) ?? 0);
      }
    } finally {
      faultsInjected += fs.faults;
      await db.close().catch(() => {});
    }
    await reopenHolds(`${root}/image`, expected, "power cut after a failed WAL fsync");
  });
});

Deno.test("fault injection count", () => {
  console.log(`disk faults injected across this file: ${faultsInjected}`);
  assert(faultsInjected > 0);
});
