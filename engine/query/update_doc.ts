/**
 * Applies an update's changes (set, unset, inc) to one decoded document, in place.
 *
 * Semantics (docs/query.md, "Updates"):
 * - Paths are dotted. `set` creates missing intermediate objects; a numeric segment indexes an
 *   array (an index equal to the length appends); anything else in the way (a scalar, null, a
 *   non-numeric segment on an array, an index past the end) is an `invalid_argument` error.
 * - `unset` removes a field; on an array element it stores null (positions do not shift); a path
 *   that reaches nothing is a no-op.
 * - `inc` adds to a number (bigint + integer stays bigint); a missing field is set to the amount;
 *   any other value is an `invalid_argument` error naming the path and the document key.
 *
 * Invariants: the document is a fresh decode owned by the caller; only own properties are read;
 * paths were validated (no "__proto__", no overlapping paths, never "key").
 */
import { PlanckError } from "../../protocol/errors.ts";
import { isPlainObject } from "./compare.ts";
import type { Document, UpdateQuery, Value } from "../../protocol/query_document.ts";
import { describe } from "./validate_value.ts";

const ARRAY_INDEX = /^(0|[1-9][0-9]{0,8})$/;

type Container = Record<string, unknown> | unknown[];

function cannot(action: string, path: string, key: string, reason: string): PlanckError {
  return new PlanckError("invalid_argument", `Cannot ${action} "${path}" of document "${key}": ${reason}`, {
    field: path,
  });
}

function childOf(node: Container, segment: string): unknown {
  if (Array.isArray(node)) return ARRAY_INDEX.test(segment) ? node[Number(segment)] : undefined;
  return Object.hasOwn(node, segment) ? node[segment] : undefined;
}

/** Stores `value` at `segment` of `node`, checking array indexes. */
function store(
  node: Container,
  segment: string,
  value: unknown,
  at: { action: string; path: string; key: string },
) {
  if (!Array.isArray(node)) {
    node[segment] = value;
    return;
  }
  const index = ARRAY_INDEX.test(segment) ? Number(segment) : -1;
  if (index < 0 || index > node.length) {
    throw cannot(
      at.action,
      at.path,
      at.key,
      `"${segment}" is not an index of an array of length ${node.length}`,
    );
  }
  node[index] = value;
}

/** Walks to the parent of the path's last segment, creating missing objects. */
function parentOf(
  doc: Document,
  segments: string[],
  at: { action: string; path: string; key: string },
): Container {
  let node: Container = doc;
  for (let i = 0; i < segments.length - 1; i++) {
    const next = childOf(node, segments[i]);
    if (next === undefined) {
      const created = {};
      store(node, segments[i], created, at);
      node = created;
    } else if (isPlainObject(next) || Array.isArray(next)) {
      node = next;
    } else {
      const prefix = segments.slice(0, i + 1).join(".");
      throw cannot(at.action, at.path, at.key, `"${prefix}" holds ${describe(next)}`);
    }
  }
  return node;
}

function setPath(doc: Document, path: string, value: Value, key: string): void {
  const segments = path.split(".");
  const at = { action: "set", path, key };
  store(parentOf(doc, segments, at), segments[segments.length - 1], value, at);
}

function unsetPath(doc: Document, path: string): void {
  const segments = path.split(".");
  let node: unknown = doc;
  for (let i = 0; i < segments.length - 1; i++) {
    if (!isPlainObject(node) && !Array.isArray(node)) return;
    node = childOf(node, segments[i]);
  }
  const last = segments[segments.length - 1];
  if (isPlainObject(node)) {
    delete node[last];
  } else if (Array.isArray(node) && ARRAY_INDEX.test(last) && Number(last) < node.length) {
    node[Number(last)] = null;
  }
}

function incPath(doc: Document, path: string, amount: number, key: string): void {
  const segments = path.split(".");
  const at = { action: "increment", path, key };
  const parent = parentOf(doc, segments, at);
  const last = segments[segments.length - 1];
  const current = childOf(parent, last);
  let next: number | bigint;
  if (current === undefined) {
    next = amount;
  } else if (typeof current === "number") {
    next = current + amount;
  } else if (typeof current === "bigint" && Number.isInteger(amount)) {
    next = current + BigInt(amount);
  } else {
    throw cannot("increment", path, key, `it holds ${describe(current)}, not a number`);
  }
  store(parent, last, next, at);
}

/**
 * Applies set, then unset, then inc to `doc` (the paths are disjoint, so the order is not
 * observable).
 * @param key the document key, for error messages
 * @throws PlanckError `invalid_argument` when a path cannot be changed
 */
export function applyChanges(doc: Document, changes: UpdateQuery, key: string): Document {
  if (changes.set !== undefined) {
    for (const path of Object.keys(changes.set)) setPath(doc, path, changes.set[path], key);
  }
  for (const path of changes.unset ?? []) unsetPath(doc, path);
  if (changes.inc !== undefined) {
    for (const path of Object.keys(changes.inc)) incPath(doc, path, changes.inc[path], key);
  }
  return doc;
}
