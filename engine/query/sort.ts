/**
 * Ordering of result rows: the orderBy comparator, a bounded top-K (binary max-heap) for queries
 * with a limit, and a full sort bounded by SORT_ROWS_MAX / SORT_BYTES_MAX for queries without an
 * index or limit.
 *
 * Invariants:
 * - The comparator is a strict total order on rows with distinct keys: fields compare by the
 *   total order (compare.ts; missing < null < …, paths resolve strictly), and ties fall back to
 *   the document key ascending, so results are deterministic.
 * - topK holds at most k rows at any time: memory O(k), time O(n log k).
 * - A full sort never holds more than its row (and, when sizes are reported, byte) limit; it
 *   throws `limit_exceeded` naming the limit instead.
 */
import type { Document, OrderBy } from "../../protocol/query_document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { compareStrings, compareValues } from "./compare.ts";
import { SORT_BYTES_MAX, SORT_ROWS_MAX } from "./limits.ts";
import { compilePathGetter } from "./path.ts";

/** What the comparator needs of a row. */
export interface SortRow {
  key: string;
  doc: Document;
}

/** A comparator: negative, zero or positive. */
export type Comparator<T> = (a: T, b: T) => number;

/** Compares keys (32 lowercase hex digits: string order is key order). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compiles an orderBy list into a row comparator; ties are broken by key ascending.
 * @param orderBy sort fields, most significant first (may be empty: key order)
 */
export function compileOrderBy<R extends SortRow>(orderBy: readonly OrderBy[]): Comparator<R> {
  const getters = orderBy.map((o) => compilePathGetter(o.field));
  const signs = orderBy.map((o) => (o.direction === "desc" ? -1 : 1));
  return (a, b) => {
    for (let i = 0; i < getters.length; i++) {
      const get = getters[i];
      const va = get(a.doc, a.key);
      const vb = get(b.doc, b.key);
      const order = typeof va === "string" && typeof vb === "string"
        ? compareStrings(va, vb)
        : compareValues(va, vb);
      if (order !== 0) return order * signs[i];
    }
    return compareKeys(a.key, b.key);
  };
}

function siftUp<T>(heap: T[], i: number, compare: Comparator<T>): void {
  const item = heap[i];
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (compare(heap[parent], item) >= 0) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = item;
}

function siftDown<T>(heap: T[], i: number, compare: Comparator<T>): void {
  const item = heap[i];
  const n = heap.length;
  while (true) {
    let largest = 2 * i + 1;
    if (largest >= n) break;
    const right = largest + 1;
    if (right < n && compare(heap[right], heap[largest]) > 0) largest = right;
    if (compare(heap[largest], item) <= 0) break;
    heap[i] = heap[largest];
    i = largest;
  }
  heap[i] = item;
}

/**
 * The k smallest items in ascending order, holding at most k items (a max-heap of the best so far).
 * @throws PlanckError `limit_exceeded` when k exceeds SORT_ROWS_MAX
 */
export function topK<T>(items: Iterable<T>, k: number, compare: Comparator<T>): T[] {
  if (k > SORT_ROWS_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Cannot keep the top ${k} rows: exceeds SORT_ROWS_MAX (${SORT_ROWS_MAX})`,
      {
        limit: "SORT_ROWS_MAX",
      },
    );
  }
  if (k <= 0) return [];
  const heap: T[] = [];
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      siftUp(heap, heap.length - 1, compare);
    } else if (compare(item, heap[0]) < 0) {
      heap[0] = item;
      siftDown(heap, 0, compare);
    }
  }
  return heap.sort(compare);
}

/** Bounds of a full sort. */
export interface SortOptions<T> {
  /** Most rows held; defaults to SORT_ROWS_MAX. */
  rowsMax?: number;
  /** Most bytes held, counted with `rowBytes`; defaults to SORT_BYTES_MAX. */
  bytesMax?: number;
  /** Size of one row in bytes (e.g. its BSON length); without it only rows are counted. */
  rowBytes?: (row: T) => number;
}

/**
 * Sorts all items, for queries that neither an index nor a limit can bound.
 * @throws PlanckError `limit_exceeded` naming SORT_ROWS_MAX or SORT_BYTES_MAX
 */
export function sortRows<T>(items: Iterable<T>, compare: Comparator<T>, options: SortOptions<T> = {}): T[] {
  const rowsMax = options.rowsMax ?? SORT_ROWS_MAX;
  const bytesMax = options.bytesMax ?? SORT_BYTES_MAX;
  const rowBytes = options.rowBytes;
  const rows: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (rows.length >= rowsMax) {
      throw new PlanckError(
        "limit_exceeded",
        `Cannot sort more than SORT_ROWS_MAX (${rowsMax}) rows without an index or a limit`,
        { limit: "SORT_ROWS_MAX" },
      );
    }
    if (rowBytes !== undefined) {
      bytes += rowBytes(item);
      if (bytes > bytesMax) {
        throw new PlanckError(
          "limit_exceeded",
          `Cannot sort more than SORT_BYTES_MAX (${bytesMax}) bytes without an index or a limit`,
          { limit: "SORT_BYTES_MAX" },
        );
      }
    }
    rows.push(item);
  }
  return rows.sort(compare);
}
