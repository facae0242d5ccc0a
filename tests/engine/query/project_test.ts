import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { compileProjection } from "../../../engine/query/project.ts";
import type { Document } from "../../../protocol/query_document.ts";

const KEY = "0".repeat(31) + "1";
const DOC: Document = {
  status: "open",
  amount: 3,
  customer: { name: "Ann", country: "DE", address: { city: "Berlin", zip: "10115" } },
  items: [{ sku: "a", qty: 1 }, { sku: "b", qty: 2 }, "loose"],
  key: "shadowed",
};

Deno.test("compileProjection select keeps listed fields and the key first", () => {
  const cases: [string[], Document][] = [
    [["status"], { key: KEY, status: "open" }],
    [["status", "missing"], { key: KEY, status: "open" }],
    [["key", "amount"], { key: KEY, amount: 3 }],
    [["customer.name"], { key: KEY, customer: { name: "Ann" } }],
    [["customer.address.city", "customer.name"], {
      key: KEY,
      customer: { address: { city: "Berlin" }, name: "Ann" },
    }],
    [["customer", "customer.name"], { key: KEY, customer: DOC.customer }],
    [["customer.name", "customer"], { key: KEY, customer: DOC.customer }],
    [["items.sku"], { key: KEY, items: [{ sku: "a" }, { sku: "b" }] }],
    [["status.x"], { key: KEY }],
    [[], { key: KEY }],
  ];
  for (const [select, expected] of cases) {
    const row = compileProjection({ select })(DOC, KEY);
    deepStrictEqual(row, expected, select.join(","));
    deepStrictEqual(Object.keys(row)[0], "key");
  }
});

Deno.test("compileProjection exclude drops fields without mutating the document", () => {
  const before = structuredClone(DOC);
  const cases: [string[], Document][] = [
    [["status", "amount", "customer", "items"], { key: KEY }],
    [["customer.address", "items.qty", "status", "amount"], {
      key: KEY,
      customer: { name: "Ann", country: "DE" },
      items: [{ sku: "a" }, { sku: "b" }, "loose"],
    }],
    [["key", "nothing.here"], { key: KEY, ...omitKey(DOC) }],
  ];
  for (const [exclude, expected] of cases) {
    deepStrictEqual(compileProjection({ exclude })(DOC, KEY), expected, exclude.join(","));
  }
  deepStrictEqual(DOC, before);
});

function omitKey(doc: Document): Document {
  const { key: _key, ...rest } = doc;
  return rest;
}

Deno.test("compileProjection without select or exclude returns the whole document with the key", () => {
  deepStrictEqual(compileProjection({})(DOC, KEY), { key: KEY, ...omitKey(DOC) });
});

Deno.test("compileProjection applies select then exclude and shares untouched subtrees", () => {
  const row = compileProjection({ select: ["customer", "amount"], exclude: ["customer.address.zip"] })(
    DOC,
    KEY,
  );
  deepStrictEqual(row, {
    key: KEY,
    customer: { name: "Ann", country: "DE", address: { city: "Berlin" } },
    amount: 3,
  });
  const shared = compileProjection({ select: ["customer"] })(DOC, KEY);
  strictEqual(shared.customer, DOC.customer);
});

Deno.test("compileProjection keeps a __proto__ field as an own field", () => {
  const doc = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as Document;
  const row = compileProjection({ exclude: ["a"] })(doc, KEY);
  strictEqual(Object.getPrototypeOf(row), Object.prototype);
  deepStrictEqual(Object.keys(row), ["key", "__proto__"]);
});
