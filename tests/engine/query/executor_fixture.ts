/**
 * The fixture of the executor tests: ten documents with keys k(1)..k(10), ties in `group` and a
 * mixed `score`, in a store "docs" of a fresh temp database.
 */
import { withTempDatabase } from "../../_util/temp_db.ts";
import type { Database } from "../../../engine/db/database.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import type { Document, QueryDocument } from "../../../protocol/query_document.ts";

/** The key of n: 32 hex digits. */
export const k = (n: number): string => n.toString(16).padStart(32, "0");

/** Ten documents with keys k(1)..k(10): ties in `group`, mixed `score`. */
export function tenDocs(): Document[] {
  return Array.from({ length: 10 }, (_, i) => ({
    key: k(i + 1),
    group: i % 3,
    score: i % 4 === 0 ? null : i * 10,
    name: `n${i + 1}`,
    nested: { depth: i },
  }));
}

/** Runs `body` with the ten documents loaded into store "docs". */
export async function withDocs(body: (db: Database) => Promise<void>): Promise<void> {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    await executeQuery(db, { op: "insert", store: "docs", documents: tenDocs() });
    await body(db);
  });
}

/** Runs a query. */
export const run = (db: Database, query: QueryDocument): Promise<unknown> => executeQuery(db, query);

/** The keys of find rows. */
export const keysOf = (rows: unknown): string[] => (rows as { key: string }[]).map((row) => row.key);
