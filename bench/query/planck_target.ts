/**
 * Planck in-process as a query-benchmark target: documents are written with batch() as raw BSON
 * under their u128 keys, indexes on status and amount are created first (db.createIndex) and
 * maintained by every write, and every query goes through executeQuery with a query document, so
 * the real validator, planner and executor are measured. Q4 parses PQL text first (parsePql).
 */
import {
  batch,
  type Database,
  executeQuery,
  openDatabase,
  parseKey,
  type WriteOp,
} from "../../engine/mod.ts";
import { parsePql } from "../../engine/pql/mod.ts";
import type { FindQuery } from "../../protocol/query_document.ts";
import { type Item, type QueryTarget, RANGE_LIMIT, type Status, TOP_LIMIT, TOP_PREFIX } from "./target.ts";

const STORE = "docs";

function keysOf(result: unknown): string[] {
  return (result as { key: string }[]).map((doc) => doc.key);
}

/** Q2 as a query document. */
export function rangeQuery(low: number, high: number): FindQuery {
  return {
    op: "find",
    store: STORE,
    filter: {
      and: [{ field: "amount", op: "gte", value: low }, { field: "amount", op: "lt", value: high }],
    },
    orderBy: [{ field: "amount", direction: "asc" }],
    limit: RANGE_LIMIT,
  };
}

/** Q2 as PQL text. */
export function rangePql(low: number, high: number): string {
  return `${STORE}.filter(amount >= ${low} and amount < ${high}).orderBy(amount asc).limit(${RANGE_LIMIT})`;
}

export class PlanckTarget implements QueryTarget {
  readonly name = "Planck";
  readonly config = "engine in-process, executeQuery (validate + plan + execute); indexes status, amount; " +
    "flushed after loading";
  #db!: Database;

  async open(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    this.#db = await openDatabase(dir);
    await this.#db.createStore(STORE);
    await this.#db.createIndex("docs_status", STORE, [{ path: "status", direction: "asc" }]);
    await this.#db.createIndex("docs_amount", STORE, [{ path: "amount", direction: "asc" }]);
  }
  /** Opens a store an earlier run loaded (bench/query/profile.ts). */
  async reopen(dir: string): Promise<void> {
    this.#db = await openDatabase(dir);
  }
  async load(items: readonly Item[]): Promise<void> {
    const ops: WriteOp[] = items.map((it) => ({
      op: "put",
      store: STORE,
      key: parseKey(it.key),
      doc: it.bson,
    }));
    await batch(this.#db, ops);
  }
  async settle(): Promise<void> {
    await this.#db.flush();
  }
  async count(status: Status): Promise<number> {
    const filter = { field: "status", op: "eq", value: status } as const;
    const result = await executeQuery(this.#db, { op: "count", store: STORE, filter });
    return (result as { count: number }).count;
  }
  async fetch(status: Status): Promise<number> {
    const filter = { field: "status", op: "eq", value: status } as const;
    const result = await executeQuery(this.#db, { op: "find", store: STORE, filter });
    return (result as unknown[]).length;
  }
  async range(low: number, high: number): Promise<string[]> {
    return keysOf(await executeQuery(this.#db, rangeQuery(low, high)));
  }
  async topK(): Promise<string[]> {
    return keysOf(
      await executeQuery(this.#db, {
        op: "find",
        store: STORE,
        filter: { field: "user", op: "startsWith", value: TOP_PREFIX },
        orderBy: [{ field: "created", direction: "desc" }],
        limit: TOP_LIMIT,
      }),
    );
  }
  async pqlRange(low: number, high: number): Promise<string[]> {
    return keysOf(await executeQuery(this.#db, parsePql(rangePql(low, high))));
  }
  async close(): Promise<void> {
    await this.#db.close();
  }
}

/** A fresh Planck target. */
export function planckTarget(): PlanckTarget {
  return new PlanckTarget();
}
