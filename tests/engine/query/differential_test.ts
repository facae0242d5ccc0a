/**
 * Differential test: the same ≥ 1,000 seeded random documents go into Planck and into SQLite
 * (node:sqlite, JSON text), and ≥ 2,000 random find / count / aggregate queries must give identical
 * results: the same keys in the same order (find, with orderBy, skip, limit and after), the same
 * counts, the same aggregate rows (group values, count, sum, avg, min, max, row order).
 *
 * Where SQLite's own semantics differ from Planck's, the SQL side is written to encode Planck's
 * documented semantics (docs/query.md) rather than the queries being restricted
 * (differential_sql.ts): type-strict comparisons, `eq null` matching missing, the cross-type total
 * order (missing < null < numbers < strings < booleans < dates) for orderBy and groupBy, array
 * "any element" matching and fan-out through arrays of objects (json_each). Restrictions that
 * remain: orderBy / groupBy use scalar fields only (objects and arrays are never sort keys), min /
 * max use fields of one type besides null/missing, numbers are small integers and binary fractions
 * (sums are exact; avg is compared within 1e-9), and there are no bigints, NaN or binary values.
 *
 * Each query is also rebuilt through the typed builder and through PQL text, which must produce a
 * deep-equal query document. The seed is printed on failure; PLANCK_SEED replays it.
 */
import { assertEquals } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import type { Database } from "../../../engine/db/database.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { parsePql } from "../../../engine/pql/mod.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import type { Document, Filter, QueryDocument } from "../../../protocol/query_document.ts";
import { validateQuery } from "../../../engine/query/validate.ts";
import { QueryGenerator, randomDocument, randomKey } from "./differential_gen.ts";
import { sqlFilter, SqlModel, sqlOrder } from "./differential_sql.ts";
import { toPql, viaBuilder } from "./differential_text.ts";
import { Random } from "./random_values.ts";
import { testSeeds } from "../../_util/random.ts";

const DOCS = 1000;
const BATCH = 100;

/** Loads `count` random documents into both sides; `flushAt` flushes Planck after that many. */
async function load(db: Database, sql: SqlModel, random: Random, flushAt?: number): Promise<string[]> {
  await db.createStore("docs");
  const keys = new Set<string>();
  while (keys.size < DOCS) keys.add(randomKey(random));
  const all = [...keys];
  for (let i = 0; i < all.length; i += BATCH) {
    const documents = all.slice(i, i + BATCH).map((key) => ({ key, ...randomDocument(random) }));
    for (const { key, ...doc } of documents) sql.insert(key, doc);
    await executeQuery(db, { op: "insert", store: "docs", documents });
    if (flushAt !== undefined && i + BATCH === flushAt) await db.flush();
  }
  return all;
}

function whereOf(query: { filter?: Filter; range?: { from?: string; to?: string } }): string {
  const parts = [query.filter === undefined ? "1" : sqlFilter(query.filter)];
  if (query.range?.from !== undefined) parts.push(`k >= '${query.range.from}'`);
  if (query.range?.to !== undefined) parts.push(`k < '${query.range.to}'`);
  return parts.join(" AND ");
}

/** SQLite's answer to a find: keys in result order, or "not_found" for a missing `after` document. */
function expectedFind(sql: SqlModel, query: Extract<QueryDocument, { op: "find" }>): string[] | "not_found" {
  const where = whereOf(query);
  const orderBy = query.orderBy ?? [];
  let keys: string[];
  if (orderBy.length === 0 || orderBy[0].field === "key") {
    const desc = orderBy[0]?.direction === "desc";
    const cursor = query.after === undefined ? "" : ` AND k ${desc ? "<" : ">"} '${query.after}'`;
    keys = sql.keys(where + cursor, `k ${desc ? "DESC" : "ASC"}`);
  } else {
    const order = sqlOrder(orderBy);
    keys = sql.keys(where, order);
    if (query.after !== undefined) {
      const everything = sql.keys("1", order);
      const position = everything.indexOf(query.after);
      if (position < 0) return "not_found";
      const rank = new Map(everything.map((key, i) => [key, i]));
      keys = keys.filter((key) => rank.get(key)! > position);
    }
  }
  const skip = query.skip ?? 0;
  return keys.slice(skip, query.limit === undefined ? undefined : skip + query.limit);
}

function expected(sql: SqlModel, query: QueryDocument): unknown {
  switch (query.op) {
    case "find":
      return expectedFind(sql, query);
    case "count":
      return { count: sql.count(whereOf(query)) };
    case "aggregate":
      return sql.aggregate(whereOf(query), query.groupBy ?? [], query.aggregates);
    default:
      throw new TypeError(query.op);
  }
}

async function actual(db: Database, query: QueryDocument): Promise<unknown> {
  try {
    const result = await executeQuery(db, query);
    return query.op === "find" ? (result as Document[]).map((row) => row.key) : result;
  } catch (error) {
    if (error instanceof PlanckError && error.code === "not_found" && query.op === "find") return "not_found";
    throw error;
  }
}

/** Deep equality with numbers compared within a relative 1e-9 (avg) and dates by time. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length &&
      keys.every((key) => same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  }
  return a === b;
}

/** The query must compile identically through the builder and through PQL. */
function checkFrontEnds(query: QueryDocument): void {
  assertEquals(validateQuery(query), query, "the generated document is canonical");
  assertEquals(viaBuilder(query), query, "builder");
  const text = toPql(query);
  assertEquals(parsePql(text), query, `PQL: ${text}`);
}

async function compare(
  db: Database,
  sql: SqlModel,
  generator: QueryGenerator,
  queries: number,
): Promise<void> {
  for (let i = 0; i < queries; i++) {
    const query = generator.query();
    try {
      checkFrontEnds(query);
      const want = expected(sql, query);
      const got = await actual(db, query);
      if (!same(got, want)) assertEquals(got, want);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Query ${i} failed: ${JSON.stringify(query)}\n${message}`, { cause: error });
    }
  }
}

/** Random update-by-filter (set) and delete-by-filter on both sides; affected counts must agree. */
async function writes(db: Database, sql: SqlModel, generator: QueryGenerator, random: Random, n: number) {
  for (let i = 0; i < n; i++) {
    const filter = generator.filter(2);
    const where = sqlFilter(filter);
    const matched = sql.count(where);
    if (random.int(3) > 0) {
      const cat = `w${random.int(3)}`;
      const result = await executeQuery(db, { op: "update", store: "docs", filter, set: { cat } });
      assertEquals((result as { matched: number }).matched, matched, `update ${JSON.stringify(filter)}`);
      sql.db.prepare(`UPDATE docs SET doc = json_set(doc, '$.cat', ?) WHERE ${where}`).run(cat);
    } else {
      const result = await executeQuery(db, { op: "delete", store: "docs", filter });
      assertEquals(result, { deleted: matched }, `delete ${JSON.stringify(filter)}`);
      sql.db.prepare(`DELETE FROM docs WHERE ${where}`).run();
    }
  }
}

async function withSeedAsync(body: (random: Random) => Promise<void>): Promise<void> {
  for (const seed of testSeeds(2)) {
    try {
      await body(new Random(seed));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Differential test failed with PLANCK_SEED=${seed}: ${message}`, { cause: error });
    }
  }
}

Deno.test("executeQuery agrees with SQLite on 2,000 random queries over 1,000 random documents", async () => {
  await withSeedAsync(async (random) => {
    await withTempDatabase(async (db) => {
      const sql = new SqlModel();
      try {
        const keys = await load(db, sql, random);
        await compare(db, sql, new QueryGenerator(random, keys), 2000);
      } finally {
        sql.db.close();
      }
    });
  });
});

Deno.test("executeQuery agrees with SQLite across memtables and flushed tiers, after updates and deletes", async () => {
  await withSeedAsync(async (random) => {
    await withTempDatabase(async (db) => {
      const sql = new SqlModel();
      try {
        const keys = await load(db, sql, random, DOCS / 2);
        const generator = new QueryGenerator(random, keys);
        await compare(db, sql, generator, 300);
        await writes(db, sql, generator, random, 30);
        await db.flush();
        await writes(db, sql, generator, random, 30);
        await compare(db, sql, generator, 500);
      } finally {
        sql.db.close();
      }
    }, { memtableBytes: 64 * 1024 });
  });
});
