/**
 * A filter evaluated on the stored BSON without decoding it: a full scan asks, for each document,
 * whether it certainly fails the filter, and decodes only the documents that may match. On Q3 of
 * the query benchmark (an unindexed `startsWith` on 200k documents, ~22% matching) this skips the
 * decoding of four documents in five.
 *
 * Three-valued: every test answers MATCH, MISS or UNKNOWN; `and`, `or` and `not` combine them as
 * Kleene logic, and only a MISS of the whole filter rejects a document. UNKNOWN is the answer for
 * whatever the raw tests do not cover (dotted paths, the key, arrays, int64, decimal, string
 * ranges, operators other than eq/ne/in/nin/ranges/startsWith/exists, malformed bytes), so the
 * caller then runs the compiled predicate on the decoded fields as before.
 *
 * Invariants: a MISS or MATCH answer equals what the compiled predicate (filter.ts) answers on the
 * decoded document — the same type rules (leaf_tests.ts: values of different types never equal or
 * order, `eq null` matches missing, ranges within the bound's type, NaN below every number), the
 * last of duplicate field names wins as in the decoders; a document whose bytes do not walk
 * answers UNKNOWN for every field. Checked against the predicate by tests/engine/raw_filter_test.ts.
 */
import { elementValueSize, f64le, i32le } from "../bson_fields.ts";
import type { Filter } from "../../protocol/query_document.ts";
import { compareDoubles } from "./compare.ts";
import { KEY_PATH } from "./path.ts";

/** The answers of a raw test. */
export const MISS = 0;
export const MATCH = 1;
export const UNKNOWN = 2;
type Answer = typeof MISS | typeof MATCH | typeof UNKNOWN;

/**
 * A compiled raw filter: `test(bytes)` answers for one stored document. One instance per query
 * (it keeps per-document scratch state, so it is not reentrant).
 */
export interface RawFilter {
  test(bytes: Uint8Array): Answer;
}

/** Where the fields a raw filter reads sit in the current document: type (0 = absent) and value offset. */
interface Fields {
  types: Int32Array;
  offsets: Int32Array;
  sizes: Int32Array;
}

type Node = (bytes: Uint8Array, fields: Fields) => Answer;

const BSON_DOUBLE = 0x01;
const BSON_STRING = 0x02;
const BSON_DOCUMENT = 0x03;
const BSON_ARRAY = 0x04;
const BSON_UNDEFINED = 0x06;
const BSON_NULL = 0x0a;
const BSON_INT32 = 0x10;
const ABSENT = 0;

/**
 * Element types whose decoded value is never a string, number, boolean, null or array, nor equal
 * to or ordered with one (binary, ObjectId, date, min/max key, embedded document):
 * any test on a string or number bound misses them.
 */
const OTHER_TYPES = new Set([BSON_DOCUMENT, 0x05, 0x07, 0x09, 0xff, 0x7f]);

/** The number of a double or int32 element, or undefined for any other type. */
function numberAt(bytes: Uint8Array, type: number, at: number): number | undefined {
  if (type === BSON_DOUBLE) return f64le(bytes, at);
  if (type === BSON_INT32) return i32le(bytes, at);
  return undefined;
}

/** Whether the string element at `at` (int32 length, bytes, 0) holds exactly `utf8` (prefix only when asked). */
function stringBytesEqual(bytes: Uint8Array, at: number, utf8: Uint8Array, prefix: boolean): boolean {
  const length = i32le(bytes, at) - 1; // without the terminating 0
  if (prefix ? length < utf8.length : length !== utf8.length) return false;
  const from = at + 4;
  for (let i = 0; i < utf8.length; i++) if (bytes[from + i] !== utf8[i]) return false;
  return true;
}

const ENCODER = new TextEncoder();

type FieldFilter = Extract<Filter, { field: string }>;

/** The raw test of one value against a leaf's element (not absent, not an array), or null when unsupported. */
type ValueTest = (bytes: Uint8Array, type: number, at: number) => Answer;

function equalsValue(value: unknown): ValueTest | null {
  if (typeof value === "string") {
    if (!value.isWellFormed()) return null;
    const utf8 = ENCODER.encode(value);
    return (bytes, type, at) => {
      if (type === BSON_STRING) return stringBytesEqual(bytes, at, utf8, false) ? MATCH : MISS;
      return type === BSON_DOUBLE || type === BSON_INT32 || type === BSON_NULL || type === 0x08 ||
          OTHER_TYPES.has(type)
        ? MISS
        : UNKNOWN;
    };
  }
  if (typeof value === "number" && value === value) {
    return (bytes, type, at) => {
      const n = numberAt(bytes, type, at);
      if (n !== undefined) return n === value ? MATCH : MISS;
      return type === BSON_STRING || type === BSON_NULL || type === 0x08 || OTHER_TYPES.has(type)
        ? MISS
        : UNKNOWN;
    };
  }
  return null;
}

const RANGE_ACCEPT: Record<string, (order: number) => boolean> = {
  gt: (order) => order > 0,
  gte: (order) => order >= 0,
  lt: (order) => order < 0,
  lte: (order) => order <= 0,
};

function rangeValue(op: string, value: unknown): ValueTest | null {
  const accept = RANGE_ACCEPT[op];
  if (typeof value !== "number" || accept === undefined) return null;
  return (bytes, type, at) => {
    const n = numberAt(bytes, type, at);
    if (n !== undefined) return accept(compareDoubles(n, value)) ? MATCH : MISS;
    return type === BSON_STRING || type === BSON_NULL || type === 0x08 || OTHER_TYPES.has(type)
      ? MISS
      : UNKNOWN;
  };
}

function startsWithValue(prefix: string): ValueTest | null {
  if (!prefix.isWellFormed()) return null;
  const utf8 = ENCODER.encode(prefix);
  return (bytes, type, at) => {
    if (type === BSON_STRING) return stringBytesEqual(bytes, at, utf8, true) ? MATCH : MISS;
    return type === BSON_DOUBLE || type === BSON_INT32 || type === BSON_NULL || type === 0x08 ||
        OTHER_TYPES.has(type)
      ? MISS
      : UNKNOWN;
  };
}

function anyOf(tests: ValueTest[]): ValueTest {
  return (bytes, type, at) => {
    let answer: Answer = MISS;
    for (let i = 0; i < tests.length; i++) {
      const one = tests[i](bytes, type, at);
      if (one === MATCH) return MATCH;
      if (one === UNKNOWN) answer = UNKNOWN;
    }
    return answer;
  };
}

/** The value test of a field filter and its answer for an absent field, or null when unsupported. */
function leafOf(node: FieldFilter): { test: ValueTest; absent: Answer; negated: boolean } | null {
  switch (node.op) {
    case "eq":
    case "ne": {
      if (node.value === null) return null;
      const test = equalsValue(node.value);
      return test === null ? null : { test, absent: MISS, negated: node.op === "ne" };
    }
    case "in":
    case "nin": {
      if (node.values.some((v) => v === null)) return null;
      const tests = node.values.map(equalsValue);
      if (tests.some((t) => t === null)) return null;
      return { test: anyOf(tests as ValueTest[]), absent: MISS, negated: node.op === "nin" };
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const test = rangeValue(node.op, node.value);
      return test === null ? null : { test, absent: MISS, negated: false };
    }
    case "between": {
      const low = rangeValue("gte", node.low);
      const high = rangeValue("lte", node.high);
      if (low === null || high === null) return null;
      return { test: (b, t, at) => and2(low(b, t, at), high(b, t, at)), absent: MISS, negated: false };
    }
    case "startsWith": {
      const test = startsWithValue(node.value);
      return test === null ? null : { test, absent: MISS, negated: false };
    }
    case "exists":
      return { test: () => MATCH, absent: MISS, negated: node.value === false };
    default:
      return null;
  }
}

function and2(a: Answer, b: Answer): Answer {
  if (a === MISS || b === MISS) return MISS;
  return a === MATCH && b === MATCH ? MATCH : UNKNOWN;
}

function negate(a: Answer): Answer {
  return a === UNKNOWN ? UNKNOWN : a === MATCH ? MISS : MATCH;
}

const ALWAYS_UNKNOWN: Node = () => UNKNOWN;

function compileNode(node: Filter, names: string[]): Node {
  if ("and" in node) {
    const parts = node.and.map((f) => compileNode(f, names));
    return (bytes, fields) => {
      let answer: Answer = MATCH;
      for (let i = 0; i < parts.length; i++) {
        const one = parts[i](bytes, fields);
        if (one === MISS) return MISS;
        if (one === UNKNOWN) answer = UNKNOWN;
      }
      return answer;
    };
  }
  if ("or" in node) {
    const parts = node.or.map((f) => compileNode(f, names));
    return (bytes, fields) => {
      let answer: Answer = MISS;
      for (let i = 0; i < parts.length; i++) {
        const one = parts[i](bytes, fields);
        if (one === MATCH) return MATCH;
        if (one === UNKNOWN) answer = UNKNOWN;
      }
      return answer;
    };
  }
  if ("not" in node) {
    const inner = compileNode(node.not, names);
    return (bytes, fields) => negate(inner(bytes, fields));
  }
  const field = node.field;
  if (field === KEY_PATH || field.includes(".") || field === "__proto__") return ALWAYS_UNKNOWN;
  const leaf = leafOf(node);
  if (leaf === null) return ALWAYS_UNKNOWN;
  let slot = names.indexOf(field);
  if (slot < 0) slot = names.push(field) - 1;
  const { test, absent, negated } = leaf;
  const answer = (bytes: Uint8Array, fields: Fields): Answer => {
    const type = fields.types[slot];
    if (type === ABSENT) return absent;
    if (type === BSON_ARRAY || type === BSON_UNDEFINED || type < 0) return UNKNOWN;
    return test(bytes, type, fields.offsets[slot]);
  };
  return negated ? (bytes, fields) => negate(answer(bytes, fields)) : answer;
}

/** Marks every field UNKNOWN (type -1): the document's bytes did not walk. */
function unknownFields(fields: Fields): void {
  fields.types.fill(-1);
}

/**
 * Finds the top-level elements named in `utf8` (the last of duplicates), filling `fields`.
 * Names are compared byte by byte; the walk stops at the document's terminating 0.
 */
function locate(bytes: Uint8Array, utf8: Uint8Array[], fields: Fields): void {
  fields.types.fill(ABSENT);
  const end = bytes.length - 1;
  if (bytes.length < 5 || i32le(bytes, 0) !== bytes.length || bytes[end] !== 0) return unknownFields(fields);
  let at = 4;
  while (at < end) {
    const type = bytes[at++];
    const nameStart = at;
    while (at < end && bytes[at] !== 0) at++;
    if (at >= end) return unknownFields(fields);
    const nameLength = at - nameStart;
    at++;
    const size = elementValueSize(type, bytes, at, end);
    if (size < 0 || at + size > end) return unknownFields(fields);
    outer: for (let w = 0; w < utf8.length; w++) {
      const name = utf8[w];
      if (name.length !== nameLength) continue;
      for (let i = 0; i < nameLength; i++) if (bytes[nameStart + i] !== name[i]) continue outer;
      fields.types[w] = type;
      fields.offsets[w] = at;
      fields.sizes[w] = size;
      break;
    }
    at += size;
  }
  if (at !== end) unknownFields(fields);
}

/**
 * The raw filter of `filter`, or null when it could never answer anything but UNKNOWN (no filter,
 * or no part the raw tests cover) — the caller then skips it.
 */
export function compileRawFilter(filter: Filter | undefined): RawFilter | null {
  if (filter === undefined) return null;
  const names: string[] = [];
  const root = compileNode(filter, names);
  if (names.length === 0) return null;
  const utf8 = names.map((n) => ENCODER.encode(n));
  const fields: Fields = {
    types: new Int32Array(names.length),
    offsets: new Int32Array(names.length),
    sizes: new Int32Array(names.length),
  };
  return {
    test(bytes: Uint8Array): Answer {
      locate(bytes, utf8, fields);
      return root(bytes, fields);
    },
  };
}
