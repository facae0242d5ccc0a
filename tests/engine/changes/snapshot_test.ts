/**
 * Snapshot watches, the builder's watch spelling and the instance-wide watch, in process: a
 * snapshot taken while writers run, followed by the changes after it, rebuilds exactly the final
 * contents (no gap, no duplicate); a filter watch resumes from an older LSN with its matching keys.
 */
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { Store } from "../../../engine/db/store.ts";
import { watchAll } from "../../../engine/changes/watch_all.ts";
import { watchFilter } from "../../../engine/changes/filter_watch.ts";
import { local } from "../../../client/local_transport.ts";
import { where } from "../../../builder/mod.ts";
import type { Database } from "../../../engine/db/database.ts";
import type { Document } from "../../../engine/document.ts";

function contents(db: Database, store: string): Map<string, Document> {
  const s = new Store(db, store);
  return new Map(s.scan().map(({ key, doc }) => [key, doc]));
}

Deno.test("snapshot under concurrent writes: snapshot + changes after it = final contents, no duplicate", async () => {
  await forEachSeed("snapshot", async (seed) => {
    await withTempDatabase(async (db) => {
      const random = seededRandom(seed);
      await db.createStore("s");
      const s = new Store(db, "s");
      const key = () => BigInt(Math.floor(random() * 40));
      for (let i = 0; i < 30; i++) await s.put(key(), { v: i });
      let stop = false;
      const writer = (async () => {
        for (let n = 0; !stop || n < 50; n++) {
          if (random() < 0.2) await s.delete(key());
          else await s.put(key(), { v: n });
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 0));
      const events = s.watch({ snapshot: true });
      stop = true;
      await writer;
      const sentinel = (await s.put(999n, { end: true }))!;
      const view = new Map<string, Document>();
      let snapshotLsn = -1;
      let cursor = -1;
      for await (const event of events) {
        if (event.op === "snapshot") {
          assert(snapshotLsn === -1 || snapshotLsn === event.lsn, "one snapshot LSN");
          snapshotLsn = event.lsn;
          assert(!view.has(event.key), `snapshot key ${event.key} twice`);
          view.set(event.key, event.doc!);
        } else {
          assert(
            event.lsn > Math.max(cursor, snapshotLsn),
            `LSN ${event.lsn} after the snapshot, increasing`,
          );
          cursor = event.lsn;
          if (event.op === "delete") view.delete(event.key);
          else view.set(event.key, event.doc!);
        }
        if (event.key === sentinel) break;
      }
      assert(snapshotLsn > 0, "a snapshot came first");
      assertEquals(view, contents(db, "s"));
    });
  });
});

Deno.test("snapshot with since is invalid; the builder refuses find-only options", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("s");
    const s = new Store(db, "s");
    const error = await assertRejectsCode(() => s.watch({ snapshot: true, since: 0 }), "invalid_argument");
    assertEquals(error.location?.field, "snapshot");
    let refused = false;
    try {
      local(db).store("s").limit(3).watch();
    } catch (e) {
      refused = e instanceof TypeError;
    }
    assert(refused, "limit() then watch() is refused");
  });
});

Deno.test("the builder's filter(...).watch() yields snapshot, enter, update, leave", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("orders");
    const orders = local(db).store<{ status: string; n: number }>("orders");
    const { inserted: [a] } = await orders.insert({ status: "open", n: 1 });
    await orders.insert({ status: "paid", n: 2 });
    const events = orders.filter(where("status").eq("open")).watch({ snapshot: true });
    const s = new Store(db, "orders");
    const { inserted: [c] } = await orders.insert({ status: "open", n: 3 });
    await s.update(a, { n: 10 });
    await s.update(c, { status: "paid" });
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await events.next()).value!);
    assertEquals(got.map((e) => [e.op, e.key]), [["snapshot", a], ["enter", c], ["update", a], ["leave", c]]);
    const store = local(db).store("orders").watch({ key: a });
    await s.update(a, { n: 11 });
    assertEquals((await store.next()).value?.op, "update");
  });
});

Deno.test("a filter watch resumes from an older LSN with the keys that matched then", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("s");
    const s = new Store(db, "s");
    const filter = { field: "v", op: "gte" as const, value: 5 };
    await s.put(1n, { v: 9 });
    await s.put(2n, { v: 1 });
    const since = db.lastLsn;
    const matching = [...contents(db, "s")].filter(([, doc]) => (doc.v as number) >= 5).map(([k]) => k);
    await s.put(1n, { v: 0 }); // leaves
    await s.put(2n, { v: 7 }); // enters
    await s.put(3n, { v: 1 }); // silent
    const events = watchFilter(db, "s", filter, { since, matching });
    assertEquals([(await events.next()).value?.op, (await events.next()).value?.op], ["leave", "enter"]);
    const error = await assertRejectsCode(() => watchFilter(db, "s", filter, { since }), "invalid_argument");
    assertEquals(error.location?.field, "since");
  });
});

Deno.test("the instance-wide watch sees every store, also ones created later, and survives a drop", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("a");
    const all = watchAll(db);
    await new Store(db, "a").put(1n, { x: 1 });
    await db.createStore("b");
    await new Store(db, "b").put(2n, { x: 2 });
    await db.dropStore("a");
    await db.createStore("c");
    await new Store(db, "c").put(3n, { x: 3 });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await all.next()).value!);
    assertEquals(got.map((e) => [e.store, e.op]), [["a", "insert"], ["b", "insert"], ["c", "insert"]]);
    await assertRejectsCode(() => watchAll(db, { since: -1 }), "invalid_argument");
  });
});

Deno.test("the instance-wide watch with a snapshot: every store at one LSN, then the changes after it", async () => {
  await forEachSeed("snapshot-all", async (seed) => {
    await withTempDatabase(async (db) => {
      const random = seededRandom(seed);
      const names = ["a", "b"];
      for (const name of names) await db.createStore(name);
      const stores = names.map((name) => new Store(db, name));
      const pick = () => stores[Math.floor(random() * stores.length)];
      const key = () => BigInt(Math.floor(random() * 30));
      for (let i = 0; i < 40; i++) await pick().put(key(), { v: i });
      let stop = false;
      const writer = (async () => {
        for (let n = 0; !stop || n < 40; n++) {
          if (random() < 0.2) await pick().delete(key());
          else await pick().put(key(), { v: n });
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 0));
      const events = watchAll(db, { snapshot: true });
      stop = true;
      await writer;
      const sentinel = (await stores[1].put(999n, { end: true }))!;
      const views = new Map(names.map((name) => [name, new Map<string, Document>()]));
      let snapshotLsn = -1;
      let cursor = -1;
      let snapshots = 0;
      for await (const event of events) {
        const view = views.get(event.store);
        if (view === undefined) continue; // a system store's document
        if (event.op === "snapshot") {
          assert(cursor === -1, "the snapshot comes first");
          assert(snapshotLsn === -1 || snapshotLsn === event.lsn, "one snapshot LSN for every store");
          snapshotLsn = event.lsn;
          assert(!view.has(event.key), `snapshot key ${event.store}/${event.key} twice`);
          view.set(event.key, event.doc!);
          snapshots++;
        } else {
          assert(
            event.lsn > Math.max(cursor, snapshotLsn),
            `LSN ${event.lsn} after the snapshot, increasing`,
          );
          cursor = event.lsn;
          if (event.op === "delete") view.delete(event.key);
          else view.set(event.key, event.doc!);
        }
        if (event.store === "b" && event.key === sentinel) break;
      }
      assert(snapshots <= events.snapshotSize, "snapshotSize counts every snapshot event");
      for (const name of names) {
        assertEquals(views.get(name), contents(db, name), `store ${name}, seed ${seed}`);
      }
      await assertRejectsCode(() => watchAll(db, { snapshot: true, since: 0 }), "invalid_argument");
    });
  });
});
