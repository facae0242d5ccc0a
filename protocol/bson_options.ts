/**
 * How Planck reads BSON, everywhere it reads it: stored documents, wire frames, host calls of the
 * native tier. One set of options so a value decodes to the same JS value on every path.
 *
 * Invariants: int64 values decode to bigint (never a lossy number); `$regex` documents stay plain
 * documents except where a caller asks for BSONRegExp explicitly (DECODE_OPTIONS_BSON_REGEXP).
 */

/** Decoding options: int64 values come back as bigint, other values as their JS types. */
export const DECODE_OPTIONS = { useBigInt64: true, promoteValues: true } as const;

/** DECODE_OPTIONS, with BSON regular expressions kept as BSONRegExp (their flags survive). */
export const DECODE_OPTIONS_BSON_REGEXP = { ...DECODE_OPTIONS, bsonRegExp: true } as const;

/**
 * Decoding that keeps every BSON type as its bson class (Int32, Double, Long, BSONRegExp, …): what
 * export, import and CSV read, so a value written back out is the same bytes.
 */
export const DECODE_OPTIONS_EXACT = { promoteValues: false, bsonRegExp: true } as const;
