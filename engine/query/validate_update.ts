/**
 * Validation of the change part of an untrusted update query: `set` (path → value), `unset`
 * (paths) and `inc` (path → finite number). Paths may be dotted ("address.city").
 *
 * Invariants: at least one change; at most UPDATE_FIELDS_MAX paths in all; no path is touched
 * twice or together with one of its prefixes ("a" and "a.b"), since the result would depend on
 * application order; the document key ("key") is never changed.
 */
import type { Document, ReadShape, UpdateQuery } from "../../protocol/query_document.ts";
import { UPDATE_FIELDS_MAX } from "./limits.ts";
import { KEY_PATH } from "./path.ts";
import {
  checkKey,
  checkPath,
  checkValue,
  describe,
  expectArray,
  expectRecord,
  invalid,
  join,
  tooMany,
} from "./validate_value.ts";

function changePath(input: unknown, field: string): string {
  const path = checkPath(input, field);
  if (path === KEY_PATH) throw invalid(field, `Invalid "${field}": the document key cannot be changed`);
  return path;
}

/** Rejects a path that repeats another or overlaps it as a prefix. */
function checkDisjoint(paths: ReadonlyArray<readonly [string, string]>): void {
  const seen = new Map<string, string>();
  for (const [path] of paths) seen.set(path, "");
  const owner = new Map<string, string>();
  for (const [path, field] of paths) {
    const earlier = owner.get(path);
    if (earlier !== undefined) {
      throw invalid(field, `Conflicting update: "${path}" is also changed at "${earlier}"`);
    }
    owner.set(path, field);
  }
  for (const [path, field] of paths) {
    for (let dot = path.indexOf("."); dot >= 0; dot = path.indexOf(".", dot + 1)) {
      const prefix = path.slice(0, dot);
      if (seen.has(prefix)) {
        throw invalid(field, `Conflicting update: "${path}" lies inside "${prefix}", which is also changed`);
      }
    }
  }
}

/**
 * Validates an update's key and changes on top of its validated read shape.
 * @throws PlanckError `invalid_argument` or `limit_exceeded` naming the field
 */
export function validateUpdate(input: Record<string, unknown>, shape: ReadShape): UpdateQuery {
  const query: UpdateQuery = { op: "update", ...shape };
  if (input.key !== undefined) query.key = checkKey(input.key, "key");
  const touched: [string, string][] = [];
  if (input.set !== undefined) {
    const set = expectRecord(input.set, "set");
    query.set = {} as Document;
    for (const name of Object.keys(set)) {
      const at = join("set", name);
      query.set[changePath(name, at)] = checkValue(set[name], at);
      touched.push([name, at]);
    }
  }
  if (input.unset !== undefined) {
    const unset = expectArray(input.unset, "unset", "UPDATE_FIELDS_MAX", UPDATE_FIELDS_MAX);
    query.unset = unset.map((p, i) => changePath(p, join("unset", i)));
    query.unset.forEach((p, i) => touched.push([p, join("unset", i)]));
  }
  if (input.inc !== undefined) {
    const inc = expectRecord(input.inc, "inc");
    query.inc = {};
    for (const name of Object.keys(inc)) {
      const at = join("inc", name);
      const amount = inc[name];
      if (typeof amount !== "number" || !Number.isFinite(amount)) {
        throw invalid(at, `Invalid "${at}": expected a finite number but got ${describe(amount)}`);
      }
      query.inc[changePath(name, at)] = amount;
      touched.push([name, at]);
    }
  }
  if (touched.length === 0) {
    throw invalid("set", `Invalid update: expected at least one of set, unset or inc`);
  }
  if (touched.length > UPDATE_FIELDS_MAX) {
    throw tooMany("set", "Update", "UPDATE_FIELDS_MAX", UPDATE_FIELDS_MAX, touched.length);
  }
  checkDisjoint(touched);
  return query;
}
