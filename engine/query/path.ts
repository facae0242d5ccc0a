/**
 * Dotted field paths ("a.b.c", "items.0.sku"), compiled once into closures that walk a document.
 *
 * Two resolutions:
 * - matchers (filters) follow Mongo semantics: a non-numeric segment applied to an array fans out
 *   to every element, so a path can reach many leaves and a predicate matches if any leaf does;
 * - getters (sort, group, aggregate) are strict: arrays are entered only by numeric index, so a
 *   path reaches at most one value.
 *
 * Invariants:
 * - A matcher calls its test at least once per document: a path that reaches nothing (missing
 *   field, scalar in the way, empty array) yields one `undefined` leaf, meaning "missing".
 * - Only own properties are read, so "constructor" or "__proto__" never reach Object.prototype.
 * - The path "key" names the document key (32 hex digits), passed beside the document.
 */
import type { Document } from "../../protocol/query_document.ts";
import { isPlainObject } from "./compare.ts";

/** The path that names the document key. */
export const KEY_PATH = "key";

/** A test on one leaf value; `undefined` means the field is missing. */
export type LeafTest = (leaf: unknown) => boolean;

/** True when `test` holds for any leaf the path reaches in `doc`. */
export type PathMatcher = (doc: Document, key: string, test: LeafTest) => boolean;

/** The one value a path reaches in `doc` (strict resolution), or undefined. */
export type PathGetter = (doc: Document, key: string) => unknown;

const ARRAY_INDEX = /^(0|[1-9][0-9]{0,8})$/;

/** Splits a dotted path into its segments. */
export function parsePath(path: string): string[] {
  return path.split(".");
}

interface Segment {
  name: string;
  /** Array index for numeric segments, else -1. */
  index: number;
  /** The name is also an Object.prototype property: read it with Object.hasOwn. */
  guarded: boolean;
}

function compileSegments(path: string): Segment[] {
  return parsePath(path).map((name) => ({
    name,
    index: ARRAY_INDEX.test(name) ? Number(name) : -1,
    guarded: name in Object.prototype,
  }));
}

function child(value: Record<string, unknown>, segment: Segment): unknown {
  if (segment.guarded && !Object.hasOwn(value, segment.name)) return undefined;
  return value[segment.name];
}

function walk(value: unknown, segments: Segment[], i: number, test: LeafTest): boolean {
  if (i === segments.length) return test(value);
  const segment = segments[i];
  if (Array.isArray(value)) {
    if (segment.index >= 0) return walk(value[segment.index], segments, i + 1, test);
    if (value.length === 0) return test(undefined);
    for (let j = 0; j < value.length; j++) {
      const element = value[j];
      const next = isPlainObject(element) ? child(element, segment) : undefined;
      if (walk(next, segments, i + 1, test)) return true;
    }
    return false;
  }
  if (isPlainObject(value)) return walk(child(value, segment), segments, i + 1, test);
  return test(undefined);
}

/** Compiles a path for filters: any-leaf matching with fan-out over arrays. */
export function compilePathMatcher(path: string): PathMatcher {
  if (path === KEY_PATH) return (_doc, key, test) => test(key);
  const segments = compileSegments(path);
  if (segments.length === 1) {
    const segment = segments[0];
    return (doc, _key, test) => test(child(doc, segment));
  }
  return (doc, _key, test) => walk(doc, segments, 0, test);
}

/** Compiles a path for sort, group and aggregate: strict, at most one value. */
export function compilePathGetter(path: string): PathGetter {
  if (path === KEY_PATH) return (_doc, key) => key;
  const segments = compileSegments(path);
  if (segments.length === 1) {
    const segment = segments[0];
    return (doc) => child(doc, segment);
  }
  return (doc) => {
    let value: unknown = doc;
    for (const segment of segments) {
      if (Array.isArray(value)) {
        if (segment.index < 0) return undefined;
        value = value[segment.index];
      } else if (isPlainObject(value)) {
        value = child(value, segment);
      } else {
        return undefined;
      }
    }
    return value;
  };
}
