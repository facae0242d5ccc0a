/**
 * Bounds the query layer enforces, with units and reasons. They sit beside the query code rather
 * than in engine/limits.ts so the storage-independent query layer has no reason to change when
 * storage limits do; engine/query/mod.ts re-exports them.
 *
 * Invariants (checked at module load): every structural bound is positive, and a full sort holds
 * at least one maximal result page.
 */
import { assert } from "../assert.ts";
import { DOC_DEPTH_MAX, SCAN_ROWS_MAX } from "../limits.ts";

const MiB = 1024 * 1024;

/** Longest regex pattern, in UTF-16 code units: bounds compile time and the worst backtracking surface. */
export const REGEX_PATTERN_LENGTH_MAX = 1024;
/** Deepest nesting of and/or/not in one filter: keeps compile and match recursion shallow. */
export const FILTER_DEPTH_MAX = 32;
/** Most nodes (logical and field predicates) in one filter. */
export const FILTER_NODES_MAX = 1024;
/** Most values in one `in` / `nin` list. */
export const FILTER_IN_VALUES_MAX = 10_000;
/**
 * Deepest nesting of arrays and objects inside one value of a query document, counting a top-level
 * field of an inserted document as depth 1: one more than DOC_DEPTH_MAX, so a query document can
 * carry exactly the documents every other write path stores (db/stage_write.ts).
 */
export const VALUE_DEPTH_MAX = DOC_DEPTH_MAX + 1;
/** Longest field path, in UTF-16 code units. */
export const PATH_LENGTH_MAX = 1024;
/** Most segments in one dotted field path. */
export const PATH_SEGMENTS_MAX = 32;
/** Most fields in one orderBy. */
export const ORDER_BY_FIELDS_MAX = 16;
/** Most fields in one groupBy. */
export const GROUP_BY_FIELDS_MAX = 16;
/** Most named aggregates in one aggregate query. */
export const AGGREGATES_MAX = 64;
/** Most paths in one select or exclude list. */
export const PROJECTION_FIELDS_MAX = 256;
/** Most paths touched by one update (set + unset + inc). */
export const UPDATE_FIELDS_MAX = 1024;
/** Most fields in one (compound) index. */
export const INDEX_FIELDS_MAX = 16;
/** Longest index name, in UTF-16 code units. */
export const INDEX_NAME_LENGTH_MAX = 64;
/** Most rows a full (unindexed, unlimited) sort or top-K holds: memory ≈ rows × decoded doc size. */
export const SORT_ROWS_MAX = 1_000_000;
/** Most bytes a full sort holds in memory when the caller reports row sizes (see sortRows). */
export const SORT_BYTES_MAX = 512 * MiB;
/** Most groups one aggregate query may produce: each group holds its accumulators in memory. */
export const AGGREGATE_GROUPS_MAX = 100_000;
/** Most key ranges one index scan is split into (from `in` lists on compound indexes). */
export const INDEX_BOUNDS_RANGES_MAX = 1024;

assert(FILTER_DEPTH_MAX > 0, "filters may nest");
assert(FILTER_NODES_MAX >= FILTER_DEPTH_MAX, "a maximally deep filter fits the node budget");
assert(SORT_ROWS_MAX >= 1, "a sort holds at least one row");
assert(SORT_ROWS_MAX <= SCAN_ROWS_MAX, "a full sort never holds more rows than a scan may return");
assert(INDEX_BOUNDS_RANGES_MAX >= 1, "an index scan has at least one range");
