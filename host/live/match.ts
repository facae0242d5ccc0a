/**
 * Which change events a live source (an SSE topic or a service subscription) receives, and with
 * which op: a store, one key or a key range, and optionally a filter. Without a filter the store's
 * own ops pass (`insert`, `update`, `delete`). With one, the op says how the document relates to
 * the filter (docs/changes.md, "Filtered topics"):
 *
 * | before known (memory tail) | after matches | before matched | op       |
 * | -------------------------- | ------------- | -------------- | -------- |
 * | yes                        | yes           | no             | enter    |
 * | yes                        | yes           | yes            | update   |
 * | yes                        | no            | yes            | leave    |
 * | yes                        | no            | no             | (none)   |
 * | no (read back from WAL)    | yes           | —              | enter on insert, else update |
 * | no                         | no            | —              | leave (may not have matched) |
 *
 * Events read back from the WAL carry no previous version, so after a reconnect a `leave` may name
 * a document the client never had — removing what is not there is harmless; missing a real leave
 * would not be.
 *
 * Invariants: the source's key bounds are checked before the filter; a write that may have moved a
 * document out of the filter is never dropped.
 */
import type { ChangeEvent } from "../../engine/changes/record.ts";
import { compileFilter, type Predicate } from "../../engine/query/filter.ts";
import { validateFilter } from "../../engine/query/validate_filter.ts";
import { parseKey } from "../../engine/key.ts";

/** The op a live source delivers. */
export type LiveOp = "insert" | "update" | "delete" | "enter" | "leave";

/** A compiled source: which keys, which documents. */
export interface LiveMatcher {
  /** The op to deliver `event` with, or null to skip it. */
  match(event: ChangeEvent): LiveOp | null;
}

/** What a source names (manifest topic or subscription). */
export interface LiveSpec {
  key?: string;
  from?: string;
  to?: string;
  filter?: unknown;
}

/** Compiles `spec`. @throws PlanckError `invalid_argument` on a bad key or filter */
export function compileMatcher(spec: LiveSpec): LiveMatcher {
  const key = spec.key === undefined ? undefined : parseKey(spec.key, "key");
  const from = spec.from === undefined ? undefined : parseKey(spec.from, "from");
  const to = spec.to === undefined ? undefined : parseKey(spec.to, "to");
  const predicate: Predicate | undefined = spec.filter === undefined
    ? undefined
    : compileFilter(validateFilter(spec.filter));
  const inRange = (k: string) =>
    (key === undefined || k === key) && (from === undefined || k >= from) && (to === undefined || k < to);
  return {
    match(event) {
      if (!inRange(event.key)) return null;
      if (predicate === undefined) return event.op;
      if (event.op === "delete") {
        return event.before === undefined || predicate(event.before, event.key) ? "leave" : null;
      }
      const now = predicate(event.doc!, event.key);
      if (event.op === "insert") return now ? "enter" : null;
      if (event.before === undefined) return now ? "update" : "leave";
      const was = predicate(event.before, event.key);
      if (now) return was ? "update" : "enter";
      return was ? "leave" : null;
    },
  };
}
