/**
 * Seeded random documents and queries for the differential test (differential_test.ts): documents
 * with nested objects, arrays and one field of mixed types, and find / count / aggregate queries
 * with every filter operator. The shapes stay inside what differential_sql.ts can express in SQLite
 * with Planck's semantics (see the header of differential_test.ts).
 */
import {
  type Aggregate,
  type Document,
  type Filter,
  FILTER_OPS,
  type OrderBy,
  type QueryDocument,
  type Value,
} from "../../../protocol/query_document.ts";
import type { Random } from "./random_values.ts";

/** Paths filters may use: single fields, a nested object field, array fan-out and an array index. */
export const FILTER_PATHS = [
  "n",
  "s",
  "b",
  "cat",
  "score",
  "d",
  "tags",
  "nested.x",
  "nested.y",
  "items.qty",
  "items.sku",
  "items.0.qty",
  "key",
] as const;

/** Paths orderBy and groupBy may use: never objects or arrays (their order is not encoded in SQL). */
export const SORT_PATHS = ["n", "s", "b", "cat", "score", "d", "nested.x", "items.0.qty"] as const;
/** Paths min/max may use: one type besides null/missing, so SQL MIN/MAX agree with the total order. */
export const EXTREME_PATHS = ["score", "s", "d", "cat"] as const;
/** Paths sum/avg may use (non-numbers are ignored on both sides). */
export const SUM_PATHS = ["n", "score", "nested.x", "items.0.qty"] as const;

const WORDS = ["", "a", "ab", "abc", "b", "ba", "B", "é", "😀", "a😀", "zz", "10", "5", "true", "null"];
const CATS = ["a", "b", "c", "d"];
const DATES = [
  "2020-01-01T00:00:00.000Z",
  "2021-06-15T12:30:00.000Z",
  "2023-03-03T03:03:03.003Z",
  "2024-02-29T23:59:59.999Z",
  "2025-07-01T00:00:00.000Z",
  "2030-12-31T00:00:00.500Z",
].map((iso) => new Date(iso));
const PATTERNS: [string, string | undefined][] = [
  ["^a", undefined],
  ["b$", undefined],
  ["a.?b", undefined],
  ["[0-9]", undefined],
  ["é", undefined],
  ["^$", undefined],
  ["^A", "i"],
  ["😀", "u"],
  ["^.{2}$", "u"],
];

/** The first `n` code points of `word` (never half a surrogate pair). */
function prefix(word: string, n: number): string {
  return Array.from(word).slice(0, n).join("");
}

/** A key: 32 hex digits. */
export function randomKey(random: Random): string {
  let key = "";
  for (let i = 0; i < 4; i++) key += random.int(0x10000 * 0x10000).toString(16).padStart(8, "0");
  return key;
}

function number(random: Random): number {
  const n = random.int(41) - 20;
  const value = random.int(3) === 0 ? n + random.pick([0.5, 0.25, -0.5]) : n;
  return value === 0 ? 0 : value; // never -0: JSON cannot carry it
}

/** A scalar of any type the documents hold. */
export function scalar(random: Random): Value {
  switch (random.int(6)) {
    case 0:
      return null;
    case 1:
    case 2:
      return number(random);
    case 3:
      return random.pick(WORDS);
    case 4:
      return random.int(2) === 0;
    default:
      return random.pick(DATES);
  }
}

/** Sets `name` to `value()` with probability `p` (else the field is missing). */
function maybe(doc: Document, random: Random, name: string, p: number, value: () => Value): void {
  if (random.next() < p) doc[name] = value();
}

/** One random document (without its key). */
export function randomDocument(random: Random): Document {
  const doc: Document = {};
  maybe(doc, random, "n", 0.85, () => scalar(random));
  maybe(doc, random, "s", 0.8, () => random.int(8) === 0 ? null : random.pick(WORDS));
  maybe(doc, random, "b", 0.6, () => random.int(2) === 0);
  maybe(doc, random, "cat", 0.85, () => random.pick(CATS));
  maybe(doc, random, "score", 0.8, () => random.int(6) === 0 ? null : number(random));
  maybe(doc, random, "d", 0.6, () => random.pick(DATES));
  maybe(
    doc,
    random,
    "tags",
    0.75,
    () =>
      random.int(5) === 0 ? random.pick(WORDS) : Array.from(
        { length: random.int(4) },
        () => random.int(3) === 0 ? scalar(random) : random.pick(WORDS),
      ),
  );
  maybe(doc, random, "nested", 0.75, () => {
    if (random.int(8) === 0) return 5; // a scalar in the way of nested.x
    const nested: Document = {};
    maybe(nested, random, "x", 0.8, () => scalar(random));
    maybe(nested, random, "y", 0.6, () => random.pick(WORDS));
    return nested;
  });
  maybe(doc, random, "items", 0.7, () =>
    Array.from({ length: random.int(4) }, () => {
      if (random.int(8) === 0) return random.pick(WORDS); // a non-object element
      const item: Document = {};
      maybe(item, random, "sku", 0.8, () => random.pick(WORDS));
      maybe(item, random, "qty", 0.8, () => random.int(5) === 0 ? scalar(random) : number(random));
      return item;
    }));
  return doc;
}

/** Generates predicates and queries over a known set of keys. */
export class QueryGenerator {
  readonly #random: Random;
  readonly #keys: string[];

  constructor(random: Random, keys: string[]) {
    this.#random = random;
    this.#keys = keys;
  }

  /** An existing key mostly, sometimes a random one. */
  key(): string {
    return this.#random.int(5) === 0 ? randomKey(this.#random) : this.#random.pick(this.#keys);
  }

  #value(path: string): Value {
    return path === "key" ? this.key() : scalar(this.#random);
  }

  #predicate(): Filter {
    const r = this.#random;
    const field = r.pick(FILTER_PATHS);
    const op = r.pick(["eq", ...FILTER_OPS] as const); // eq twice as often
    switch (op) {
      case "in":
      case "nin":
        return { field, op, values: Array.from({ length: r.int(4) }, () => this.#value(field)) };
      case "between": {
        const low = this.#value(field);
        const sameType = r.int(5) > 0 && typeof low === "number";
        return { field, op, low, high: sameType ? (low as number) + r.int(20) : this.#value(field) };
      }
      case "exists":
        return { field, op, value: r.int(2) === 0 };
      case "contains":
        return { field, op, value: r.int(2) === 0 ? prefix(r.pick(WORDS), 1) : scalar(r) };
      case "startsWith":
        return {
          field,
          op,
          value: field === "key" ? this.key().slice(0, r.int(3)) : prefix(r.pick(WORDS), 1 + r.int(2)),
        };
      case "regex": {
        const [pattern, flags] = r.pick(PATTERNS);
        return flags === undefined ? { field, op, pattern } : { field, op, pattern, flags };
      }
      default:
        return { field, op, value: this.#value(field) };
    }
  }

  /** A filter tree: and/or of 2–3 children, not, and predicates, at most `depth` levels deep. */
  filter(depth = 3): Filter {
    const r = this.#random.next();
    if (depth > 0 && r < 0.3) {
      const children = Array.from({ length: 2 + this.#random.int(2) }, () => this.filter(depth - 1));
      return this.#random.int(2) === 0 ? { and: children } : { or: children };
    }
    if (depth > 0 && r < 0.38) return { not: this.filter(depth - 1) };
    return this.#predicate();
  }

  #readShape(): { store: string; filter?: Filter; range?: { from?: string; to?: string } } {
    const shape: { store: string; filter?: Filter; range?: { from?: string; to?: string } } = {
      store: "docs",
    };
    if (this.#random.int(6) > 0) shape.filter = this.filter();
    if (this.#random.int(8) === 0) {
      const [a, b] = [this.key(), this.key()].sort();
      shape.range = this.#random.int(3) === 0 ? { from: a } : { from: a, to: b };
    }
    return shape;
  }

  #orderBy(): OrderBy[] {
    const r = this.#random;
    if (r.int(4) === 0) return [];
    if (r.int(5) === 0) return [{ field: "key", direction: r.int(2) === 0 ? "asc" : "desc" }];
    const fields = [...SORT_PATHS].sort(() => r.next() - 0.5).slice(0, 1 + r.int(2));
    return fields.map((field) => ({ field, direction: r.int(2) === 0 ? "asc" : "desc" }));
  }

  /** A find, count or aggregate query. */
  query(): QueryDocument {
    const r = this.#random;
    const kind = r.next();
    if (kind < 0.2) return { op: "count", ...this.#readShape() };
    if (kind < 0.45) {
      const aggregates: Record<string, Aggregate> = { c: { fn: "count" } };
      const count = r.int(4);
      for (let i = 0; i < count; i++) {
        const fn = r.pick(["sum", "avg", "min", "max"] as const);
        aggregates[`a${i}`] = {
          fn,
          field: fn === "sum" || fn === "avg" ? r.pick(SUM_PATHS) : r.pick(EXTREME_PATHS),
        };
      }
      const query: QueryDocument = { op: "aggregate", ...this.#readShape(), aggregates };
      const groups = r.int(3);
      if (groups > 0) query.groupBy = [...SORT_PATHS].sort(() => r.next() - 0.5).slice(0, groups);
      return query;
    }
    const query: QueryDocument = { op: "find", ...this.#readShape() };
    const orderBy = this.#orderBy();
    if (orderBy.length > 0) query.orderBy = orderBy;
    if (r.int(3) > 0) query.limit = 1 + r.int(30);
    if (r.int(3) === 0) query.skip = r.int(10);
    if (r.int(6) === 0) query.after = this.key();
    if (r.int(8) === 0) query.select = ["n", "nested.x"];
    return query;
  }
}
