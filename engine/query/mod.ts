/**
 * The storage-independent query layer: value order, paths, filters, index key encoding and
 * bounds, projection, aggregation, sorting, shorthand and validation. The executor and planner
 * build on these; see docs/query.md for the semantics.
 */
export * from "./limits.ts";
export {
  compareBytes,
  compareNumbers,
  compareStrings,
  compareValues,
  isPlainObject,
  TypeRank,
  typeRank,
  type TypeRankValue,
  valuesEqual,
} from "./compare.ts";
export {
  compilePathGetter,
  compilePathMatcher,
  KEY_PATH,
  type LeafTest,
  parsePath,
  type PathGetter,
  type PathMatcher,
} from "./path.ts";
export { compileFilter, compileRegex, type Predicate, REGEX_FLAGS_ALLOWED } from "./filter.ts";
export {
  ByteWriter,
  decodeIndexKeyDocKey,
  encodeIndexKey,
  encodeIndexValue,
  type IndexDirection,
  IndexTag,
  writeValue,
} from "./index_key.ts";
export {
  type IndexFieldPredicate,
  type IndexKeyBounds,
  indexKeyBounds,
  type IndexKeyRange,
} from "./index_bounds.ts";
export { compileProjection, type Projection } from "./project.ts";
export { type AggregateRow, type AggregateSpec, Aggregator } from "./aggregate.ts";
export { type Comparator, compileOrderBy, type SortOptions, type SortRow, sortRows, topK } from "./sort.ts";
export { SHORTHAND_OPS, shorthandToFilter } from "./shorthand.ts";
export { checkStoreName, QUERY_OPS, validateQuery } from "./validate.ts";
export { validateFilter } from "./validate_filter.ts";
