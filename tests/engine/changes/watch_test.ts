/**
 * store.watch(): the events match the writes made (insert, update, delete; batches and
 * transactions), in commit order; key and range watches; since "now" and since an LSN; the watch
 * ends when the store is dropped or the database closes.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import { batch, Store } from "../../../engine/db/store.ts";
import { transaction } from "../../../engine/tx/transaction.ts";
import { assertEventsMatch, type Expected, take } from "./_events.ts";

const K1 = "00000000000000000000000000000001";
const K2 = "00000000000000000000000000000002";
const K3 = "00000000000000000000000000000003";

Deno.test("store.watch yields insert, update and delete events matching the writes, in commit order", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("orders");
    await db.createStore("other");
    const orders = new Store(db, "orders");
    const other = new Store(db, "other");
    const events = orders.watch();
    const expected: Expected[] = [];
    const generated = await orders.insert({ n: 1 });
    expected.push({ op: "insert", key: generated, doc: { n: 1 } });
    await other.insert({ ignored: true });
    await orders.put(K1, { n: 2 });
    expected.push({ op: "insert", key: K1, doc: { n: 2 } });
    await orders.put(K1, { n: 3 });
    expected.push({ op: "update", key: K1, doc: { n: 3 } });
    await orders.update(K1, { m: 4 });
    expected.push({ op: "update", key: K1, doc: { n: 3, m: 4 } });
    await orders.replace(generated, { n: 5 });
    expected.push({ op: "update", key: generated, doc: { n: 5 } });
    await orders.delete(generated);
    expected.push({ op: "delete", key: generated });
    assertEquals(await orders.delete(generated), false, "a delete of nothing writes nothing");
    await batch(db, [
      { op: "put", store: "orders", key: K2, doc: { b: 1 } },
      { op: "put", store: "other", key: K2, doc: { b: 2 } },
      { op: "delete", store: "orders", key: K1 },
    ]);
    expected.push({ op: "insert", key: K2, doc: { b: 1 } }, { op: "delete", key: K1 });
    await transaction(db, (tx) => {
      const t = tx.store("orders");
      t.put(K3, { t: 1 });
      t.update(K2, { t: 2 });
    });
    expected.push({ op: "insert", key: K3, doc: { t: 1 } }, { op: "update", key: K2, doc: { b: 1, t: 2 } });
    const got = await take(events, expected.length);
    assertEventsMatch(got, expected);
    assert(got.every((e) => e.store === "orders"), "events name their store");
    assertEquals(got[6].commitLsn, got[7].commitLsn, "one batch: one commit LSN");
    assert(got[7].commitLsn < got[8].commitLsn, "the next group commits later");
    assertEquals(got[2].before, { n: 2 }, "the live tail carries the version an update replaced");
    assertEquals(got[5].before, { n: 5 }, "and the version a delete removed");
    assertEquals(got[0].before, undefined, "an insert has none");
  });
});

Deno.test("store.watch({ key }) and ({ from, to }) yield only the keys asked for", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("s");
    const s = new Store(db, "s");
    const one = s.watch({ key: K2 });
    const range = s.watch({ from: K2, to: K3 }); // K2 only: to is exclusive
    const from = s.watch({ from: K2 });
    for (const key of [K1, K2, K3]) await s.put(key, { key });
    await s.delete(K2);
    assertEventsMatch(await take(one, 2), [{ op: "insert", key: K2, doc: { key: K2 } }, {
      op: "delete",
      key: K2,
    }]);
    assertEventsMatch(await take(range, 2), [{ op: "insert", key: K2, doc: { key: K2 } }, {
      op: "delete",
      key: K2,
    }]);
    assertEventsMatch(await take(from, 3), [
      { op: "insert", key: K2, doc: { key: K2 } },
      { op: "insert", key: K3, doc: { key: K3 } },
      { op: "delete", key: K2 },
    ]);
    try {
      s.watch({ key: K1, from: K2 });
      throw new Error("expected invalid_argument");
    } catch (error) {
      assertEquals((error as { code?: string }).code, "invalid_argument");
    }
  });
});

Deno.test("store.watch since an LSN starts right after it; since 'now' only sees later writes", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("s");
    const s = new Store(db, "s");
    await s.put(K1, { v: 1 });
    const mark = db.lastLsn;
    await s.put(K2, { v: 2 });
    const now = s.watch({ since: "now" });
    const fromStart = s.watch({ since: 0 });
    const fromMark = s.watch({ since: mark });
    await s.put(K3, { v: 3 });
    assertEventsMatch(await take(now, 1), [{ op: "insert", key: K3, doc: { v: 3 } }]);
    const all = await take(fromStart, 3);
    assertEventsMatch(all, [
      { op: "insert", key: K1, doc: { v: 1 } },
      { op: "insert", key: K2, doc: { v: 2 } },
      { op: "insert", key: K3, doc: { v: 3 } },
    ]);
    assertEventsMatch(await take(fromMark, 2), [
      { op: "insert", key: K2, doc: { v: 2 } },
      { op: "insert", key: K3, doc: { v: 3 } },
    ]);
    const afterFirst = s.watch({ since: all[0].lsn });
    assertEquals((await take(afterFirst, 1))[0].key, K2, "since an event's lsn resumes right after it");
    for (const bad of [-1, 1.5, db.lastLsn + 1]) {
      try {
        s.watch({ since: bad });
        throw new Error(`expected invalid_argument for ${bad}`);
      } catch (error) {
        assertEquals((error as { code?: string }).code, "invalid_argument", String(bad));
      }
    }
    try {
      new Store(db, "missing").watch();
      throw new Error("expected not_found");
    } catch (error) {
      assertEquals((error as { code?: string }).code, "not_found");
    }
  });
});

Deno.test("a watch ends when its store is dropped and when the database closes", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("a");
    await db.createStore("b");
    const a = new Store(db, "a").watch();
    const b = new Store(db, "b").watch();
    await new Store(db, "a").put(K1, { x: 1 });
    await db.dropStore("a");
    assertEquals((await a.next()).value?.key, K1);
    assertEquals((await a.next()).done, true, "the drop ends the watch");
    const pending = b.next();
    await db.close();
    assertEquals((await pending).done, true, "the close ends a waiting watch");
  });
});

Deno.test("a watch in interval durability hands out only durable groups", async () => {
  await withTempDatabase(async (db) => {
    await db.createStore("s");
    const s = new Store(db, "s");
    const events = s.watch();
    await s.put(K1, { v: 1 });
    const next = events.next();
    const event = (await next).value!;
    assertEquals(event.key, K1);
    assert(db.durableLsn >= event.commitLsn, `durable ${db.durableLsn} covers ${event.commitLsn}`);
  }, { durability: "interval:5" });
});
