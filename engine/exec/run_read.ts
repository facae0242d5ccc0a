/**
 * Runs the read ops other than find: get, count and aggregate.
 *
 * Invariants: reads only (nothing is staged); count decodes no document when the filter reads
 * only the key (or there is none); every result row of get starts with its `key`.
 */
import type { IndexChoice } from "./index_plan.ts";
import type { StoreInfo } from "../db/catalog.ts";
import { decodeDocument } from "../document.ts";
import { type AggregateRow, Aggregator } from "../query/aggregate.ts";
import { KEY_PATH } from "../query/path.ts";
import type { Plan } from "./planner.ts";
import { compileProjection } from "../query/project.ts";
import type { AggregateQuery, CountQuery, Document } from "../../protocol/query_document.ts";
import {
  compileQueryFilter,
  indexDocKeys,
  matches,
  type QueryView,
  scanBounds,
  type ScanStats,
} from "./scan.ts";

const WHOLE = compileProjection({});

/** The document under `key` with its key first, or null. */
export function runGet(view: QueryView, store: StoreInfo, key: string): Document | null {
  const bytes = view.read(store.id, key);
  return bytes === undefined ? null : WHOLE(decodeDocument(bytes), key);
}

/** Counts the plan's matches. */
export function runCount(
  view: QueryView,
  plan: Plan,
  query: CountQuery,
  stats: ScanStats,
): { count: number } {
  const source = plan.source;
  if (source.kind === "index_scan" && source.choice.exact && view.indexScan !== undefined) {
    return { count: coveredCount(view, source.choice, stats) };
  }
  let count = 0;
  for (const _ of matches(view, plan, compileQueryFilter(query.filter), stats, false)) count++;
  return { count };
}

/** Counts the documents an exact index scan names, without reading them (a covered count). */
function coveredCount(view: QueryView, choice: IndexChoice, stats: ScanStats): number {
  let count = 0;
  if (!choice.index.multikey && view.countIndexEntries !== undefined) {
    // One entry per document: the B+tree's subtree counts (corrected by the memtables), no entry read.
    for (const options of scanBounds(choice)) count += view.countIndexEntries(choice.index.id, options);
  } else {
    for (const _ of indexDocKeys(view, choice)) count++;
  }
  stats.examined += count;
  return count;
}

/** Aggregates the plan's matches into rows (aggregate.ts). */
export function runAggregate(
  view: QueryView,
  plan: Plan,
  query: AggregateQuery,
  stats: ScanStats,
): AggregateRow[] {
  const aggregator = new Aggregator({ groupBy: query.groupBy, aggregates: query.aggregates });
  const paths = [
    ...(query.groupBy ?? []),
    ...Object.values(query.aggregates).map((a) => a.field ?? KEY_PATH),
  ];
  const decode = paths.some((path) => path !== KEY_PATH);
  for (const match of matches(view, plan, compileQueryFilter(query.filter), stats, decode)) {
    aggregator.add(match.doc, match.key);
  }
  return aggregator.rows();
}
