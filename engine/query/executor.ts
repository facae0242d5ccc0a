/**
 * The query executor: runs a query document against a database.
 * TODO(#4): filters, planner, indexes, aggregates — this stub runs get/insert/DDL only.
 */
import type { Database } from "../database.ts";
import { decodeDocument } from "../document.ts";
import { PlanckError } from "../errors.ts";
import { batch, Store } from "../store.ts";
import type { QueryDocument } from "./query_document.ts";

/** Runs `query` and returns its result (shape per op: docs/query.md). */
export async function executeQuery(db: Database, query: QueryDocument): Promise<unknown> {
  switch (query.op) {
    case "get": {
      const doc = new Store(db, query.store).get(query.key);
      return doc === undefined ? null : { key: query.key, ...doc };
    }
    case "insert": {
      const result = await batch(
        db,
        query.documents.map((doc) => ({ op: "insert", store: query.store, doc })),
      );
      return { inserted: result.keys };
    }
    case "createStore":
      await db.createStore(query.store);
      return { created: query.store };
    case "dropStore":
      await db.dropStore(query.store);
      return { dropped: query.store };
    case "showStores":
      return db.listStores().map((s) => ({ name: s.name }));
    case "find": {
      const rows = new Store(db, query.store).scanRaw({ limit: query.limit });
      return rows.map(([key, bytes]) => ({ key, ...decodeDocument(bytes) }));
    }
    default:
      throw new PlanckError("invalid_argument", `Query op "${query.op}" is not supported yet`, {
        field: "op",
      });
  }
}
