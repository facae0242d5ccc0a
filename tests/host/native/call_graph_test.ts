/**
 * The fuel plan on call graphs written as summaries (no wasm): Tarjan's components come callees
 * first and survive deep graphs; entry checks go exactly to functions on a cycle (direct, mutual,
 * through the table) and to functions over PREPAID_CALLS_MAX; imports are free leaves; every charge
 * pays for the iteration or entry plus every call it may cause before the next check.
 */
import { assertEquals } from "../../_util/assert.ts";
import {
  CHARGE_UNITS_MAX,
  type FunctionSummary,
  planFuel,
  PREPAID_CALLS_MAX,
  stronglyConnected,
} from "../../../host/native/call_graph.ts";

/** A defined function whose regions (body outside loops, then loops) make `calls` and `indirect` calls. */
function fn(
  name: string,
  ...regions: (string[] | { calls?: string[]; indirect: number })[]
): FunctionSummary {
  const list = regions.length === 0 ? [[]] : regions;
  return {
    name,
    imported: false,
    regions: list.map((r) =>
      Array.isArray(r) ? { calls: r, indirectCalls: 0 } : { calls: r.calls ?? [], indirectCalls: r.indirect }
    ),
  };
}

function host(name: string): FunctionSummary {
  return { name, imported: true, regions: [] };
}

/** Entry check reasons and charges, by function. */
function planOf(
  functions: FunctionSummary[],
  targets: string[] = [],
): Record<string, [string | null, number[]]> {
  const plan = planFuel(functions, new Set(targets));
  return Object.fromEntries([...plan].map(([name, f]) => [name, [f.entryCheck, f.charges]]));
}

Deno.test("stronglyConnected returns components callees first, self-loops and cycles as one component", () => {
  // 0 → 1 → 2 → 1, 2 → 3, 3 → 3, 4 alone
  const components = stronglyConnected([[1], [2], [1, 3], [3], []]);
  assertEquals(components.map((c) => c.sort()), [[3], [1, 2], [0], [4]]);
});

Deno.test("stronglyConnected walks a chain of 200,000 nodes without recursion", () => {
  const n = 200_000;
  const edges = Array.from({ length: n }, (_, i) => (i + 1 < n ? [i + 1] : [0]));
  assertEquals(stronglyConnected(edges).length, 1);
});

Deno.test("planFuel checks functions on a cycle of direct calls and prepays the rest", () => {
  assertEquals(
    planOf([
      fn("self", ["self", "leaf"]),
      fn("f", ["g"]),
      fn("g", ["f", "leaf"]),
      fn("leaf"),
      fn("caller", ["f", "leaf"], ["leaf", "leaf"]),
    ]),
    {
      self: ["cycle", [2]],
      f: ["cycle", [1]],
      g: ["cycle", [2]],
      leaf: [null, [1]],
      caller: [null, [2, 3]],
    },
  );
});

Deno.test("planFuel treats imports as leaves that cost nothing", () => {
  assertEquals(planOf([host("log"), fn("f", ["log", "log"], ["log"]), fn("g", ["f"])]), {
    f: [null, [1, 1]],
    g: [null, [2]],
  });
});

Deno.test("planFuel routes indirect calls through every table target", () => {
  const functions = [
    fn("dispatch", { indirect: 1 }),
    fn("handler", ["dispatch"]),
    fn("leaf"),
    fn("main", ["dispatch"]),
  ];
  // The table holds handler, which calls dispatch back: a cycle dispatch → table → handler → dispatch.
  assertEquals(planOf(functions, ["handler", "leaf"]), {
    dispatch: ["cycle", [2]],
    handler: ["cycle", [1]],
    leaf: [null, [1]],
    main: [null, [1]],
  });
  // Only the leaf in the table: no cycle; an indirect call prepays its most expensive target.
  assertEquals(planOf(functions, ["leaf"]), {
    dispatch: [null, [2]],
    handler: [null, [3]],
    leaf: [null, [1]],
    main: [null, [3]],
  });
  // A function in the table that calls indirectly is a cycle of its own.
  assertEquals(planOf([fn("f", { indirect: 2 })], ["f"]).f, ["cycle", [1]]);
});

Deno.test("planFuel checks a function that may cause more than PREPAID_CALLS_MAX calls", () => {
  const leaves = (n: number) => Array.from({ length: n }, () => "leaf");
  const plan = planOf([
    fn("leaf"),
    fn("at", leaves(PREPAID_CALLS_MAX)),
    fn("over", leaves(PREPAID_CALLS_MAX + 1)),
  ]);
  assertEquals(plan.at, [null, [1 + PREPAID_CALLS_MAX]]);
  assertEquals(plan.over, ["calls", [2 + PREPAID_CALLS_MAX]]);
});

Deno.test("planFuel caps a charge at CHARGE_UNITS_MAX", () => {
  const sites = Array.from({ length: CHARGE_UNITS_MAX }, () => "leaf");
  assertEquals(planOf([fn("leaf"), fn("big", [], sites)]).big, [null, [1, CHARGE_UNITS_MAX]]);
});
