/**
 * Runs a find: the plan's matching documents, ordered, paged (after / skip / limit) and projected.
 *
 * Invariants:
 * - Key order streams: the scan stops as soon as skip + limit rows are found.
 * - Other orders hold at most skip + limit rows (top-K heap) or, without a limit, at most
 *   SORT_ROWS_MAX rows / SORT_BYTES_MAX bytes (full sort); past that, `limit_exceeded`.
 * - `after` resumes strictly after the cursor document's place in the result order: in key order
 *   the planner turned it into a key bound; otherwise the cursor document is read (it must exist)
 *   and only rows ordered after it are kept, so pages never repeat or skip a row even with ties
 *   (ties are broken by key).
 * - A result holds at most SCAN_ROWS_MAX rows; every row starts with its `key`.
 */
import { decodeDocument } from "../document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { SCAN_ROWS_MAX } from "../limits.ts";
import type { Plan } from "./planner.ts";
import { compileProjection } from "../query/project.ts";
import type { Document, FindQuery } from "../../protocol/query_document.ts";
import {
  compileQueryFilter,
  completeRow,
  type Match,
  matches,
  partialFields,
  type QueryView,
  type ScanStats,
  sourceEntries,
} from "./scan.ts";
import { type Comparator, compileOrderBy, sortRows, topK } from "../query/sort.ts";

function tooManyRows(): PlanckError {
  return new PlanckError(
    "limit_exceeded",
    `Query returns more than SCAN_ROWS_MAX (${SCAN_ROWS_MAX}) rows: add a limit or page with after`,
    { limit: "SCAN_ROWS_MAX" },
  );
}

/** Skips `skip` rows and takes up to `limit` (streaming: stops reading once the page is full). */
function takePage(rows: Iterable<Match>, skip: number, limit: number | undefined): Match[] {
  const page: Match[] = [];
  if (limit === 0) return page;
  let skipped = 0;
  for (const row of rows) {
    if (skipped < skip) {
      skipped++;
      continue;
    }
    if (page.length >= SCAN_ROWS_MAX) throw tooManyRows();
    page.push(row);
    if (limit !== undefined && page.length >= limit) break;
  }
  return page;
}

function* after(rows: Iterable<Match>, anchor: Match, compare: Comparator<Match>): Generator<Match> {
  for (const row of rows) {
    if (compare(row, anchor) > 0) yield row;
  }
}

/** The cursor document of `after`. @throws PlanckError `not_found` when it no longer exists */
function cursorRow(view: QueryView, plan: Plan, key: string): Match {
  const bytes = view.read(plan.store.id, key);
  if (bytes === undefined) {
    throw new PlanckError(
      "not_found",
      `Cannot resume after key "${key}": no such document in store "${plan.store.name}"`,
      { field: "after" },
    );
  }
  return { key, bytes, doc: decodeDocument(bytes) };
}

/** Orders and pages the matches of a plan whose order is not key order. */
function sortedPage(view: QueryView, plan: Plan, query: FindQuery, rows: Iterable<Match>): Match[] {
  const compare = compileOrderBy<Match>(query.orderBy ?? []);
  const skip = query.skip ?? 0;
  const candidates = query.after === undefined
    ? rows
    : after(rows, cursorRow(view, plan, query.after), compare);
  if (plan.order === "top_k") {
    const limit = query.limit!;
    if (limit === 0) return [];
    return topK(candidates, skip + limit, compare).slice(skip);
  }
  const sorted = sortRows(candidates, compare, { rowBytes: (row) => row.bytes.length });
  const page = sorted.slice(skip, query.limit === undefined ? undefined : skip + query.limit);
  if (page.length > SCAN_ROWS_MAX) throw tooManyRows();
  return page;
}

const NOT_DECODED: Document = Object.freeze({}) as Document;

/** The source's documents undecoded (`partial`): for an exact index scan every one matches the filter. */
function* exactMatches(view: QueryView, plan: Plan, stats: ScanStats): Generator<Match> {
  for (const [key, bytes] of sourceEntries(view, plan)) {
    stats.examined++;
    yield { key, bytes, doc: NOT_DECODED, partial: true };
  }
}

/**
 * The page of a find as stored rows (key and bytes, before any projection), for callers that pass
 * the stored BSON on as it is. A row's `doc` holds only what the filter and the order read (`partial`;
 * completeRow decodes it whole): nothing for an index scan whose ranges encode the whole filter
 * (`exact`) in index order, else the top-level fields they name, decoded alone when they are scalars.
 */
export function findRows(view: QueryView, plan: Plan, query: FindQuery, stats: ScanStats): Match[] {
  const streamed = plan.order === "key_order" || plan.order === "index_order";
  const exact = plan.source.kind === "index_scan" && plan.source.choice.exact;
  let rows: Iterable<Match>;
  if (exact && streamed) rows = exactMatches(view, plan, stats);
  else {
    const filter = compileQueryFilter(query.filter);
    const fields = partialFields(filter.fields, (query.orderBy ?? []).map((o) => o.field));
    rows = matches(view, plan, filter, stats, true, fields);
  }
  return streamed ? takePage(rows, query.skip ?? 0, query.limit) : sortedPage(view, plan, query, rows);
}

/**
 * Runs a find with its plan.
 * @returns the result rows, each `{ key, …fields }`
 */
export function runFind(view: QueryView, plan: Plan, query: FindQuery, stats: ScanStats): Document[] {
  const page = findRows(view, plan, query, stats).map(completeRow);
  const project = compileProjection({ select: query.select, exclude: query.exclude });
  return page.map((row) => project(row.doc, row.key));
}
