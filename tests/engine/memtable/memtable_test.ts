import { assert, assertEquals } from "../../_util/assert.ts";
import { throws } from "node:assert/strict";
import { AssertionError } from "../../../engine/assert.ts";
import { ENTRY_BYTES_OVERHEAD, Memtable } from "../../../engine/memtable/memtable.ts";

const KEY_BYTES = 16;
const keyOf = (n: number): string => n.toString(16).padStart(32, "0");
const value = (length: number, fill = 1): Uint8Array => new Uint8Array(length).fill(fill);

function keysOf(memtable: Memtable, storeId: number, reverse = false): string[] {
  return [...memtable.entries(storeId, undefined, undefined, reverse)].map(([key]) => key);
}

Deno.test("Memtable.get returns the newest version", () => {
  const m = new Memtable();
  m.apply(1, keyOf(1), 1, value(3, 1));
  m.apply(1, keyOf(1), 2, value(3, 2));
  m.apply(1, keyOf(2), 3, value(3, 3));
  m.apply(1, keyOf(1), 4, value(3, 4));
  assertEquals(m.get(1, keyOf(1)), { lsn: 4, value: value(3, 4) });
  assertEquals(m.get(1, keyOf(2))?.lsn, 3);
  assertEquals(m.get(1, keyOf(3)), undefined);
  assertEquals(m.get(2, keyOf(1)), undefined, "stores are separate");
  assertEquals([...m.entries(1)].map(([k, e]) => [k, e.lsn]), [[keyOf(1), 4], [keyOf(2), 3]]);
  assertEquals(m.count(1), 2);
  assertEquals(m.firstLsn, 1);
  assertEquals(m.lastLsn, 4);
});

Deno.test("Memtable.apply keeps a tombstone that hides the key but stays in scans", () => {
  const m = new Memtable();
  m.apply(7, keyOf(5), 1, value(10));
  m.apply(7, keyOf(5), 2, null);
  assertEquals(m.get(7, keyOf(5)), { lsn: 2, value: null });
  assertEquals([...m.entries(7)], [[keyOf(5), { lsn: 2, value: null }]]);
  m.apply(7, keyOf(5), 3, value(4, 9));
  assertEquals(m.get(7, keyOf(5))?.value, value(4, 9), "a put after a tombstone revives the key");
  m.apply(7, keyOf(6), 4, null);
  assertEquals(
    m.get(7, keyOf(6)),
    { lsn: 4, value: null },
    "a delete of an unknown key still writes a tombstone",
  );
  assertEquals(m.count(7), 2);
});

Deno.test("Memtable.entries honours from, to and reverse per store", () => {
  const m = new Memtable();
  let lsn = 0;
  for (const n of [5, 1, 9, 3, 7]) m.apply(1, keyOf(n), ++lsn, value(1, n));
  m.apply(2, keyOf(4), ++lsn, value(1));
  assertEquals(keysOf(m, 1), [1, 3, 5, 7, 9].map(keyOf));
  assertEquals(keysOf(m, 1, true), [9, 7, 5, 3, 1].map(keyOf));
  assertEquals([...m.entries(1, keyOf(3), keyOf(9))].map(([k]) => k), [3, 5, 7].map(keyOf));
  assertEquals([...m.entries(1, keyOf(3), keyOf(9), true)].map(([k]) => k), [7, 5, 3].map(keyOf));
  assertEquals(keysOf(m, 2), [keyOf(4)]);
  assertEquals(keysOf(m, 3), [], "a store without entries scans empty");
  assertEquals(m.storeIds().sort(), [1, 2]);
});

Deno.test("Memtable.bytes grows with new entries and tracks value size changes", () => {
  const m = new Memtable();
  const entry = (size: number) => ENTRY_BYTES_OVERHEAD + KEY_BYTES + size;
  assertEquals(m.bytes, 0);
  m.apply(1, keyOf(1), 1, value(100));
  assertEquals(m.bytes, entry(100));
  m.apply(1, keyOf(2), 2, value(50));
  assertEquals(m.bytes, entry(100) + entry(50));
  m.apply(1, keyOf(1), 3, value(300)); // grows by the value delta, no second overhead
  assertEquals(m.bytes, entry(300) + entry(50));
  m.apply(1, keyOf(1), 4, value(10)); // shrinks
  assertEquals(m.bytes, entry(10) + entry(50));
  m.apply(1, keyOf(1), 5, null); // a tombstone keeps the key and overhead, loses the value
  assertEquals(m.bytes, entry(0) + entry(50));
  m.apply(1, keyOf(1), 6, value(20)); // revived
  assertEquals(m.bytes, entry(20) + entry(50));
  m.apply(2, keyOf(1), 7, null); // a new tombstone counts its overhead
  assertEquals(m.bytes, entry(20) + entry(50) + entry(0));
});

Deno.test("Memtable.dropStore forgets one store and gives back its bytes", () => {
  const m = new Memtable();
  m.apply(1, keyOf(1), 1, value(100));
  m.apply(2, keyOf(1), 2, value(7));
  m.apply(2, keyOf(2), 3, null);
  const before = m.bytes;
  m.dropStore(2);
  assertEquals(m.bytes, before - (ENTRY_BYTES_OVERHEAD + KEY_BYTES + 7) - (ENTRY_BYTES_OVERHEAD + KEY_BYTES));
  assertEquals(m.bytes, ENTRY_BYTES_OVERHEAD + KEY_BYTES + 100);
  assertEquals(m.get(2, keyOf(1)), undefined);
  assertEquals(keysOf(m, 2), []);
  assertEquals(m.storeIds(), [1]);
  m.dropStore(99); // unknown: nothing happens
  assertEquals(m.storeIds(), [1]);
  m.apply(2, keyOf(3), 4, value(1)); // the store id can take writes again (replay of later frames)
  assertEquals(keysOf(m, 2), [keyOf(3)]);
});

Deno.test("Memtable.freeze rejects later writes and drops with AssertionError", () => {
  const m = new Memtable();
  m.apply(1, keyOf(1), 1, value(1));
  m.freeze();
  assert(m.frozen);
  throws(() => m.apply(1, keyOf(2), 2, value(1)), AssertionError);
  throws(() => m.dropStore(1), AssertionError);
  assertEquals(m.get(1, keyOf(1))?.lsn, 1, "a frozen memtable still serves reads");
  assertEquals(m.count(1), 1);
});

Deno.test("Memtable.apply rejects an LSN that goes back with AssertionError", () => {
  const m = new Memtable();
  m.apply(1, keyOf(1), 5, value(1));
  m.apply(2, keyOf(1), 5, value(1)); // index entries share their document's LSN
  throws(() => m.apply(1, keyOf(2), 4, value(1)), AssertionError);
  assertEquals(m.lastLsn, 5);
});
