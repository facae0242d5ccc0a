import { assertEquals } from "../../_util/assert.ts";
import { KEY_MAX } from "../../../engine/key.ts";
import { filterKeyBounds, filterUsesOnlyKey, keyAfter } from "../../../engine/query/key_bounds.ts";
import type { Filter } from "../../../protocol/query_document.ts";

const k = (n: number): string => n.toString(16).padStart(32, "0");

Deno.test("keyAfter returns the next key and undefined past the largest", () => {
  assertEquals(keyAfter(k(0)), k(1));
  assertEquals(keyAfter(k(0x0f)), k(0x10));
  assertEquals(keyAfter("0".repeat(16) + "f".repeat(16)), "0".repeat(15) + "1" + "0".repeat(16));
  assertEquals(keyAfter(KEY_MAX), undefined);
});

Deno.test("filterKeyBounds narrows by key predicates of the top-level and only", () => {
  const cases: [Filter | undefined, ReturnType<typeof filterKeyBounds>][] = [
    [undefined, {}],
    [{ field: "key", op: "eq", value: k(5) }, { points: [k(5)] }],
    [{ field: "key", op: "eq", value: "not a key" }, { points: [] }],
    [{ field: "key", op: "in", values: [k(9), 3, k(2), k(9)] }, { points: [k(2), k(9)] }],
    [{ field: "key", op: "gt", value: k(5) }, { from: k(6) }],
    [{ field: "key", op: "gt", value: KEY_MAX }, { points: [] }],
    [{ field: "key", op: "lte", value: k(5) }, { to: k(6) }],
    [{ field: "key", op: "lte", value: KEY_MAX }, {}],
    [{ field: "key", op: "between", low: k(2), high: k(4) }, { from: k(2), to: k(5) }],
    [{ field: "key", op: "startsWith", value: "01" }, {
      from: "01" + "0".repeat(30),
      to: "02" + "0".repeat(30),
    }],
    [{ field: "key", op: "startsWith", value: "0X" }, {}],
    [{ field: "key", op: "gt", value: 5 }, {}],
    [
      { and: [{ field: "key", op: "gte", value: k(2) }, { and: [{ field: "key", op: "lt", value: k(8) }] }] },
      {
        from: k(2),
        to: k(8),
      },
    ],
    [{
      and: [{ field: "key", op: "in", values: [k(1), k(3), k(9)] }, { field: "key", op: "gte", value: k(2) }],
    }, {
      from: k(2),
      points: [k(3), k(9)],
    }],
    [{ or: [{ field: "key", op: "eq", value: k(1) }, { field: "a", op: "eq", value: 1 }] }, {}],
    [{ not: { field: "key", op: "eq", value: k(1) } }, {}],
  ];
  for (const [filter, bounds] of cases) assertEquals(filterKeyBounds(filter), bounds, JSON.stringify(filter));
});

Deno.test("filterUsesOnlyKey is true only when every predicate reads the key", () => {
  assertEquals(filterUsesOnlyKey({ not: { field: "key", op: "eq", value: k(1) } }), true);
  assertEquals(
    filterUsesOnlyKey({
      or: [{ field: "key", op: "eq", value: k(1) }, { field: "a", op: "exists", value: true }],
    }),
    false,
  );
});
