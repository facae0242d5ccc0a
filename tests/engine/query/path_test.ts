import { deepStrictEqual } from "node:assert/strict";
import { compilePathGetter, compilePathMatcher } from "../../../engine/query/path.ts";
import type { Document } from "../../../protocol/query_document.ts";

const KEY = "0".repeat(31) + "7";
const DOC: Document = {
  a: { b: { c: 1 } },
  items: [{ sku: "x", tags: ["t1"] }, { sku: "y" }, 5, [{ sku: "nested" }]],
  empty: [],
  scalar: 3,
  "0": "zero",
};

function leaves(path: string, doc: Document = DOC): unknown[] {
  const seen: unknown[] = [];
  compilePathMatcher(path)(doc, KEY, (leaf) => {
    seen.push(leaf);
    return false;
  });
  return seen;
}

Deno.test("compilePathMatcher reaches every leaf, fanning out over arrays", () => {
  const cases: [string, unknown[]][] = [
    ["a.b.c", [1]],
    ["a.b", [{ c: 1 }]],
    ["a.x.c", [undefined]],
    ["items.sku", ["x", "y", undefined, undefined]],
    ["items.tags", [["t1"], undefined, undefined, undefined]],
    ["items.0.sku", ["x"]],
    ["items.1", [{ sku: "y" }]],
    ["items.9.sku", [undefined]],
    ["empty.x", [undefined]],
    ["scalar.x", [undefined]],
    ["0", ["zero"]],
    ["missing", [undefined]],
    ["key", [KEY]],
    ["constructor", [undefined]],
    ["a.hasOwnProperty", [undefined]],
  ];
  for (const [path, expected] of cases) deepStrictEqual(leaves(path), expected, path);
});

Deno.test("compilePathMatcher stops at the first leaf that matches", () => {
  let calls = 0;
  const found = compilePathMatcher("items.sku")(DOC, KEY, (leaf) => {
    calls++;
    return leaf === "x";
  });
  deepStrictEqual([found, calls], [true, 1]);
});

Deno.test("compilePathGetter resolves strictly: arrays only by index", () => {
  const cases: [string, unknown][] = [
    ["a.b.c", 1],
    ["items.0.sku", "x"],
    ["items.sku", undefined],
    ["items.3.0.sku", "nested"],
    ["scalar.x", undefined],
    ["key", KEY],
    ["toString", undefined],
    ["0", "zero"],
  ];
  for (const [path, expected] of cases) deepStrictEqual(compilePathGetter(path)(DOC, KEY), expected, path);
});
