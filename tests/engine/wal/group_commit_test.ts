import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { FaultyFs } from "../../_util/faulty_fs.ts";
import { withDatabase, withTempDatabase, withTempDir } from "../../_util/temp_db.ts";
import { GroupCommit } from "../../../engine/wal/group_commit.ts";
import { type Database, openDatabase } from "../../../engine/db/database.ts";
import { Store } from "../../../engine/db/store.ts";
import type { SyncMethod } from "../../../engine/wal/wal.ts";

const SYNC_METHODS: SyncMethod[] = ["inline", "async"];
const POLL_MS_MAX = 60_000;

/** A sync function the test releases by hand, counting calls. */
function manualSync(): { sync: () => Promise<void>; calls: () => number; release: () => void } {
  let calls = 0;
  let pending: (() => void)[] = [];
  return {
    sync: () => {
      calls++;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    calls: () => calls,
    release: () => {
      for (const resolve of pending) resolve();
      pending = [];
    },
  };
}

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > POLL_MS_MAX) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function withStore(
  options: Parameters<typeof withTempDatabase>[1],
  body: (db: Database, store: Store) => Promise<void>,
) {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    await body(db, new Store(db, "docs"));
  }, options);
}

Deno.test("GroupCommit.waitDurable resolves every writer of one turn with one sync", async () => {
  const manual = manualSync();
  const commit = new GroupCommit(0, manual.sync);
  const resolved: number[] = [];
  const waits = [1, 2, 3, 4, 5].map((lsn) => {
    commit.written(lsn);
    return commit.waitDurable(lsn).then(() => resolved.push(lsn));
  });
  // The group's sync starts on a setImmediate; a timer turn may run before it on a loaded machine.
  await until(() => manual.calls() > 0, "the group's sync to start");
  assertEquals(manual.calls(), 1);
  assertEquals(resolved, [], "nobody is acknowledged before the sync ends");
  manual.release();
  await Promise.all(waits);
  assertEquals(resolved, [1, 2, 3, 4, 5]);
  assertEquals([commit.syncs, commit.durableLsn, commit.writtenLsn], [1, 5, 5]);
});

Deno.test("GroupCommit covers writers that arrive during a sync with the next sync", async () => {
  const manual = manualSync();
  const commit = new GroupCommit(10, manual.sync);
  commit.written(11);
  const first = commit.waitDurable(11);
  await until(() => manual.calls() > 0, "the first sync to start");
  assertEquals(manual.calls(), 1);
  commit.written(12);
  commit.written(13);
  let lateDone = false;
  const late = Promise.all([commit.waitDurable(12), commit.waitDurable(13)]).then(() => (lateDone = true));
  manual.release(); // the first sync ends: it covered only LSN 11
  await first;
  assertEquals(commit.durableLsn, 11);
  await turn();
  assertEquals(lateDone, false, "a sync that started before a write does not acknowledge it");
  assertEquals(manual.calls(), 2, "the next sync starts at once");
  manual.release();
  await late;
  assertEquals([commit.syncs, commit.durableLsn], [2, 13]);
  await commit.idle();
});

Deno.test("GroupCommit.waitDurable resolves at once for durable LSNs without a sync", async () => {
  const manual = manualSync();
  const commit = new GroupCommit(7, manual.sync);
  await commit.waitDurable(7);
  await commit.waitDurable(1);
  await commit.syncNow(); // nothing unsynced
  assertEquals(manual.calls(), 0);
});

Deno.test("GroupCommit rejects every waiter and every later wait after a failed sync", async () => {
  for (const inline of [false, true]) {
    const failure = new Error("EIO: input/output error");
    const commit = new GroupCommit(
      0,
      inline
        ? () => {
          throw failure;
        }
        : () => Promise.reject(failure),
    );
    commit.written(3);
    const results = await Promise.allSettled([1, 2, 3].map((lsn) => commit.waitDurable(lsn)));
    for (const result of results) {
      assert(result.status === "rejected", "every waiter is rejected");
      assertEquals(result.reason.code, "internal");
      assert(result.reason.message.includes("EIO: input/output error"), result.reason.message);
      assertEquals(result.reason.cause, failure);
    }
    assertEquals([commit.syncs, commit.durableLsn], [0, 0]);
    commit.written(4);
    await assertRejectsCode(() => commit.waitDurable(4), "internal", "must be reopened");
    await assertRejectsCode(() => commit.waitDurable(0), "internal", "must be reopened");
    await commit.idle();
  }
});

Deno.test("Database shares one sync among 50 concurrent inserts", async () => {
  for (const syncMethod of SYNC_METHODS) {
    await withStore({ syncMethod }, async (db, store) => {
      const before = db.stats().syncs;
      const keys = await Promise.all(Array.from({ length: 50 }, (_, i) => store.insert({ i })));
      const syncs = db.stats().syncs - before;
      assert(syncs >= 1 && syncs <= 5, `${syncMethod}: 50 inserts took ${syncs} syncs`);
      assertEquals(new Set(keys).size, 50);
      assertEquals(db.durableLsn, db.lastLsn);
      assertEquals(store.scan().length, 50);
    });
  }
});

Deno.test("Database in sync durability acknowledges a write only once it is durable", async () => {
  for (const syncMethod of SYNC_METHODS) {
    await withStore({ syncMethod }, async (db, store) => {
      for (let i = 0; i < 20; i++) {
        await store.insert({ i });
        assertEquals(db.durableLsn, db.lastLsn, `${syncMethod}: write ${i}`);
      }
    });
  }
});

Deno.test("Database in interval durability resolves writes before the sync and syncs within the interval", async () => {
  for (const syncMethod of SYNC_METHODS) {
    await withStore({ durability: "interval:50", syncMethod }, async (db, store) => {
      await until(() => db.durableLsn === db.lastLsn, "the createStore group to be synced");
      const syncs = db.stats().syncs;
      const keys = [];
      for (let i = 0; i < 20; i++) keys.push(await store.insert({ i }));
      assert(db.durableLsn < db.lastLsn, `${syncMethod}: acknowledged before it is durable`);
      assertEquals(db.stats().syncs, syncs, "no sync ran for the writes themselves");
      assertEquals(store.get(keys[19]), { i: 19 }, "visible before durable");
      await until(() => db.durableLsn === db.lastLsn, "the interval timer's sync");
      assert(db.stats().syncs > syncs);
    });
  }
});

/**
 * Opens a database on a FaultyFs, runs `body`, and closes it. After a failed sync, close reports the
 * failure again (it cannot checkpoint a failed WAL) but still releases the directory: the reopen
 * with the real disk proves it and checks the acknowledged write survived.
 */
async function withFailingSync(
  options: { syncMethod?: SyncMethod; durability?: string },
  body: (store: Store, fs: FaultyFs) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const fs = new FaultyFs();
    const db = await openDatabase(dir, { ...options, fs });
    let acknowledged = "";
    try {
      await db.createStore("docs");
      const store = new Store(db, "docs");
      acknowledged = await store.insert({ acknowledged: true });
      await db.sync();
      await body(store, fs);
    } finally {
      await db.close().catch((error) => assertEquals(error.code, "internal"));
    }
    await withDatabase(dir, {}, (reopened) => {
      assertEquals(new Store(reopened, "docs").get(acknowledged), { acknowledged: true });
    });
  });
}

Deno.test("Database rejects every waiting writer and later writes when the WAL sync fails", async () => {
  for (const syncMethod of SYNC_METHODS) {
    await withFailingSync({ syncMethod }, async (store, fs) => {
      fs.syncError = new Error("EIO: input/output error (os error 5)");
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.insert({ i })));
      for (const result of results) {
        assert(result.status === "rejected", `${syncMethod}: a writer was acknowledged after a failed sync`);
        assertEquals(result.reason.code, "internal");
        assert(result.reason.message.includes("os error 5"), result.reason.message);
      }
      fs.syncError = null; // even a healed disk: the page cache state is unknown, so no retry
      await assertRejectsCode(() => store.insert({ later: true }), "internal", "WAL sync failed");
    });
  }
});

Deno.test("Database in interval durability fails later writes after the timer's sync fails", async () => {
  await withFailingSync({ durability: "interval:20" }, async (store, fs) => {
    fs.syncError = new Error("EIO: input/output error (os error 5)");
    await store.insert({ i: 0 }); // resolves: interval mode does not wait for the sync
    let error: { code?: string; message?: string } | undefined;
    const started = Date.now();
    while (error === undefined && Date.now() - started < POLL_MS_MAX) {
      try {
        await store.insert({ probe: true });
        await new Promise((resolve) => setTimeout(resolve, 5));
      } catch (caught) {
        error = caught as { code?: string };
      }
    }
    assertEquals(error?.code, "internal", "a write after the failed timer sync fails");
    assert(error?.message?.includes("os error 5"));
  });
});
