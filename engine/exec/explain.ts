/**
 * Explain: the plan of a find, count, aggregate, update or delete, plus what running it costs.
 * The query runs (writes are only counted, never staged) so `examinedDocs` is measured, not
 * guessed.
 *
 * Result: `{ plan: "key_range" | "full_scan" | "index_scan", store, bounds: { from, to }, reverse,
 * orderBy: "key_order" | "top_k" | "sort", estimatedDocs, examinedDocs, index: null }` where
 * bounds are keys or null (unbounded), estimatedDocs counts the documents inside the plan's bounds
 * (the scan's worst case; key reads only, nothing decoded) and examinedDocs the documents the run
 * actually read (fewer when a key-ordered find stops at its limit).
 */
import type { Database } from "../db/database.ts";
import { type Plan, planBounds, planQuery } from "./planner.ts";
import type { ExplainQuery } from "../../protocol/query_document.ts";
import { runFind } from "./run_find.ts";
import { runAggregate, runCount } from "./run_read.ts";
import { stageDelete, stageUpdate } from "./run_write.ts";
import { type QueryView, type ScanStats, sourceEntries } from "./scan.ts";

/** The result of explain. */
export interface ExplainResult {
  plan: "key_range" | "full_scan" | "index_scan";
  store: string;
  bounds: { from: string | null; to: string | null };
  reverse: boolean;
  orderBy: Plan["order"];
  estimatedDocs: number;
  examinedDocs: number;
  /** The secondary index used, or null. */
  index: string | null;
  /** For an index scan: the predicates its ranges encode and how many byte ranges it reads. */
  indexBounds?: { uses: string[]; ranges: number | "whole index"; ordered: boolean; exact: boolean };
}

/** Runs `query` without writing and describes its plan. */
export function explainQuery(db: Database, view: QueryView, query: ExplainQuery["query"]): ExplainResult {
  const store = db.storeInfo(query.store);
  const plan = planQuery(store, query, view === db ? db.indexesOf(store.id) : []);
  const stats: ScanStats = { examined: 0 };
  switch (query.op) {
    case "find":
      runFind(view, plan, query, stats);
      break;
    case "count":
      runCount(view, plan, query, stats);
      break;
    case "aggregate":
      runAggregate(view, plan, query, stats);
      break;
    case "update":
      stageUpdate(db, view, plan, query, undefined, stats);
      break;
    case "delete":
      stageDelete(view, plan, query, undefined, stats);
      break;
  }
  let estimatedDocs = 0;
  for (const _ of sourceEntries(view, plan)) estimatedDocs++;
  return {
    plan: plan.source.kind === "full_scan"
      ? "full_scan"
      : plan.source.kind === "index_scan"
      ? "index_scan"
      : "key_range",
    store: store.name,
    bounds: planBounds(plan),
    reverse: plan.reverse,
    orderBy: plan.order,
    estimatedDocs,
    examinedDocs: stats.examined,
    index: plan.source.kind === "index_scan" ? plan.source.choice.index.name : null,
    ...(plan.source.kind === "index_scan"
      ? {
        indexBounds: {
          uses: plan.source.choice.uses,
          ranges: plan.source.choice.ranges?.length ?? "whole index",
          ordered: plan.source.choice.ordered,
          exact: plan.source.choice.exact,
        },
      }
      : {}),
  };
}
