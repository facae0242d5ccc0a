/**
 * Index scan bounds for the planner: turns predicates on the first k fields of a (compound) index
 * into half-open byte ranges [low, high) over index entries (index_key.ts), so a scan reads only
 * candidate entries.
 *
 * Invariants:
 * - The ranges are sorted ascending and disjoint, and together they cover every index entry whose
 *   fields satisfy the predicates. They may cover more (a superset: a cross-product that would
 *   exceed INDEX_BOUNDS_RANGES_MAX drops trailing fields, see `fieldsUsed`), so the executor
 *   always rechecks the full filter on each document.
 * - Range predicates stay inside the bound's type (gt 5 never reaches strings), matching the
 *   filter rule that comparisons across types never match. `eq null` also covers missing fields.
 * - Entries are scalar: a document whose indexed field is an array matches filters element-wise,
 *   which a scalar entry of the whole array cannot serve (see docs/query.md).
 */
import { compareBytes, typeRank, type TypeRankValue } from "./compare.ts";
import { ByteWriter, encodeIndexValue, type IndexDirection, IndexTag, writeStringBody } from "./index_key.ts";
import { INDEX_BOUNDS_RANGES_MAX } from "./limits.ts";

/** A predicate on one index field. The first k-1 predicates must be point sets (eq / in). */
export type IndexFieldPredicate =
  | { op: "eq"; value: unknown }
  | { op: "in"; values: readonly unknown[] }
  | { op: "range"; low?: unknown; lowInclusive?: boolean; high?: unknown; highInclusive?: boolean }
  | { op: "prefix"; value: string };

/** Index entries e with low <= e < high (unsigned byte order). */
export interface IndexKeyRange {
  low: Uint8Array;
  high: Uint8Array;
}

/** The ranges to scan and how many leading predicates they honour. */
export interface IndexKeyBounds {
  ranges: IndexKeyRange[];
  /** Predicates encoded into the ranges; the rest were dropped to stay within the range budget. */
  fieldsUsed: number;
}

/** First and last tag byte of each type's encodings, indexed by TypeRank. */
const TYPE_TAGS: ReadonlyArray<readonly [number, number]> = [
  [IndexTag.missing, IndexTag.missing],
  [IndexTag.null, IndexTag.null],
  [IndexTag.number, IndexTag.number],
  [IndexTag.string, IndexTag.string],
  [IndexTag.object, IndexTag.object],
  [IndexTag.array, IndexTag.array],
  [IndexTag.binary, IndexTag.binary],
  [IndexTag.objectId, IndexTag.objectId],
  [IndexTag.false, IndexTag.true],
  [IndexTag.date, IndexTag.date],
  [IndexTag.other, IndexTag.other],
];

/** Every index entry: all encodings start with a byte in 0x01..0xFE. */
const FULL_HIGH = new Uint8Array([0xff]);

/** The smallest byte string greater than every string starting with `bytes` (strip 0xFF, add one). */
function prefixEnd(bytes: Uint8Array): Uint8Array {
  let n = bytes.length;
  while (n > 0 && bytes[n - 1] === 0xff) n--;
  if (n === 0) return FULL_HIGH;
  const end = bytes.slice(0, n);
  end[n - 1]++;
  return end;
}

function complement(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => ~b & 0xff);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function encodeField(value: unknown, direction: IndexDirection): Uint8Array {
  const bytes = encodeIndexValue(value);
  return direction === "desc" ? complement(bytes) : bytes;
}

/** Encoded, sorted, de-duplicated points of an eq / in predicate (null also means missing). */
function pointsOf(predicate: IndexFieldPredicate, direction: IndexDirection): Uint8Array[] {
  if (predicate.op !== "eq" && predicate.op !== "in") {
    throw new RangeError(
      `Index predicate "${predicate.op}" must be the last one: only eq and in may precede it`,
    );
  }
  const values = predicate.op === "eq" ? [predicate.value] : [...predicate.values];
  if (values.includes(null)) values.push(undefined);
  const points = values.map((v) => encodeField(v, direction)).sort(compareBytes);
  return points.filter((p, i) => i === 0 || compareBytes(points[i - 1], p) !== 0);
}

type Interval = IndexKeyRange;

function typeStart(rank: TypeRankValue, direction: IndexDirection): Uint8Array {
  const [first, last] = TYPE_TAGS[rank];
  return new Uint8Array([direction === "asc" ? first : ~last & 0xff]);
}

function typeEnd(rank: TypeRankValue, direction: IndexDirection): Uint8Array {
  const [first, last] = TYPE_TAGS[rank];
  return new Uint8Array([direction === "asc" ? last + 1 : (~first & 0xff) + 1]);
}

/** The interval of a range predicate within its type, or none when it is empty or spans types. */
function rangeInterval(
  predicate: Extract<IndexFieldPredicate, { op: "range" }>,
  direction: IndexDirection,
): Interval[] {
  const { low, high } = predicate;
  if (low === undefined && high === undefined) {
    throw new RangeError("An index range needs a low or high bound");
  }
  const rank = typeRank(low === undefined ? high : low);
  if (low !== undefined && high !== undefined && typeRank(high) !== rank) return [];
  // Bound on the smaller / larger side of the transformed (possibly complemented) byte space.
  const [small, smallInclusive, large, largeInclusive] = direction === "asc"
    ? [low, predicate.lowInclusive ?? true, high, predicate.highInclusive ?? true]
    : [high, predicate.highInclusive ?? true, low, predicate.lowInclusive ?? true];
  let start = typeStart(rank, direction);
  if (small !== undefined) {
    const bytes = encodeField(small, direction);
    start = smallInclusive ? bytes : prefixEnd(bytes);
  }
  let end = typeEnd(rank, direction);
  if (large !== undefined) {
    const bytes = encodeField(large, direction);
    end = largeInclusive ? prefixEnd(bytes) : bytes;
  }
  return compareBytes(start, end) < 0 ? [{ low: start, high: end }] : [];
}

function prefixInterval(value: string, direction: IndexDirection): Interval[] {
  // A trailing high surrogate may be the first half of a pair in a matching string, whose UTF-8
  // does not start with the lone surrogate's bytes: bound by the rest (a superset) instead.
  const last = value.charCodeAt(value.length - 1);
  const prefix = last >= 0xd800 && last <= 0xdbff ? value.slice(0, -1) : value;
  const writer = new ByteWriter();
  writer.byte(IndexTag.string);
  writeStringBody(writer, prefix);
  let bytes = writer.finish();
  if (direction === "desc") bytes = complement(bytes);
  return [{ low: bytes, high: prefixEnd(bytes) }];
}

function lastIntervals(predicate: IndexFieldPredicate, direction: IndexDirection): Interval[] {
  switch (predicate.op) {
    case "range":
      return rangeInterval(predicate, direction);
    case "prefix":
      return prefixInterval(predicate.value, direction);
    default:
      return pointsOf(predicate, direction).map((p) => ({ low: p, high: prefixEnd(p) }));
  }
}

function wholePrefixes(prefixes: Uint8Array[]): IndexKeyRange[] {
  return prefixes.map((p) => ({ low: p, high: p.length === 0 ? FULL_HIGH : prefixEnd(p) }));
}

/**
 * Byte ranges of the index entries that can satisfy `predicates` on the leading index fields.
 * @param directions the index's field directions
 * @param predicates one per leading field (1..directions.length): eq / in, with any kind last
 * @returns sorted disjoint ranges; empty when no entry can match
 */
export function indexKeyBounds(
  directions: readonly IndexDirection[],
  predicates: readonly IndexFieldPredicate[],
): IndexKeyBounds {
  if (predicates.length === 0 || predicates.length > directions.length) {
    throw new RangeError(`Expected 1 to ${directions.length} index predicates but got ${predicates.length}`);
  }
  // 1. Cross the point sets of the leading fields into key prefixes.
  let prefixes: Uint8Array[] = [new Uint8Array(0)];
  const last = predicates.length - 1;
  for (let i = 0; i < last; i++) {
    const points = pointsOf(predicates[i], directions[i]);
    if (prefixes.length * points.length > INDEX_BOUNDS_RANGES_MAX) {
      return { ranges: wholePrefixes(prefixes), fieldsUsed: i };
    }
    prefixes = prefixes.flatMap((p) => points.map((point) => concat(p, point)));
  }
  // 2. Cross the prefixes with the last field's intervals.
  const intervals = lastIntervals(predicates[last], directions[last]);
  if (prefixes.length * intervals.length > INDEX_BOUNDS_RANGES_MAX) {
    return { ranges: wholePrefixes(prefixes), fieldsUsed: last };
  }
  const ranges = prefixes.flatMap((p) =>
    intervals.map((interval) => ({ low: concat(p, interval.low), high: concat(p, interval.high) }))
  );
  return { ranges, fieldsUsed: predicates.length };
}
