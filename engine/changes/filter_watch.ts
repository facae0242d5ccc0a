/**
 * A filter watch: the documents of a store that match a filter (engine/query/ filter documents,
 * evaluated by the query layer's own evaluator), as `enter` (a document starts matching: inserted
 * matching, or updated into the filter), `update` (it matched before and still does), `leave` (it
 * matched and no longer does: updated out of the filter, or deleted). A write that moves a document
 * out of the filter is a `leave`, never silence. `key` or `from`/`to` narrow it to keys as well.
 *
 * Where it starts: "now" (which keys match is read synchronously in `watchFilter`, the state at
 * the LSN the watch starts from); with `snapshot: true` the matching documents are yielded first
 * (op "snapshot", at that LSN); or from an older `since` when the caller passes `matching`, the
 * keys that matched at that LSN (a consumer that kept its view: the keys of its snapshot and
 * enters minus its leaves). The engine does not keep old versions, so without `matching` it
 * cannot know which documents matched at an older LSN: `since` alone is `invalid_argument`.
 */
import type { ChangeSource } from "./source.ts";
import type { Document } from "../document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Key, type KeyInput, parseKey } from "../key.ts";
import { SCAN_ROWS_MAX } from "../limits.ts";
import { compileFilter } from "../query/filter.ts";
import type { Document as QueryDocument } from "../../protocol/query_document.ts";
import { validateFilter } from "../query/validate_filter.ts";
import type { ChangeEvent } from "./record.ts";
import { readSnapshot, snapshotEvents } from "./snapshot.ts";
import { END, Follower, type Transform } from "./follower.ts";
import {
  parseRange,
  rangeMatch,
  resolveSince,
  snapshotRequested,
  started,
  storeTransform,
  type WatchIterator,
  type WatchOptions,
} from "./watch.ts";

/** One event of a filter watch. */
export interface FilterEvent {
  lsn: number;
  commitLsn: number;
  op: "enter" | "update" | "leave" | "snapshot";
  store: string;
  key: Key;
  /** The document now (snapshot, enter, update; absent on leave). */
  doc?: Document;
}

/** Options of a filter watch: those of a store watch, plus the matching keys to resume with. */
export interface FilterWatchOptions extends WatchOptions {
  /** With a numeric `since`: the keys that matched the filter at that LSN. */
  matching?: Iterable<KeyInput>;
}

/**
 * Starts a filter watch of store `name`. `filter` is a query filter (docs/query.md).
 * @throws PlanckError `not_found` (store), `invalid_argument` (filter, options), `limit_exceeded`
 * when more than SCAN_ROWS_MAX documents of the store are read to find the matching set
 */
export function watchFilter(
  db: ChangeSource,
  name: string,
  filter: unknown,
  options: FilterWatchOptions = {},
): WatchIterator<FilterEvent> {
  const compiled = compileFilter(validateFilter(filter));
  const predicate = (doc: Document, key: Key) => compiled(doc as QueryDocument, key);
  const storeId = db.storeInfo(name).id;
  const range = parseRange(options);
  const inRange = rangeMatch(range);
  const snapshot = snapshotRequested(options);
  const resuming = options.since !== undefined && options.since !== "now";
  if (resuming !== (options.matching !== undefined)) {
    throw new PlanckError(
      "invalid_argument",
      resuming
        ? "Invalid filter watch: resuming from an LSN needs matching, the keys that matched at that LSN"
        : "Invalid filter watch: matching goes with a numeric since",
      { field: resuming ? "since" : "matching" },
    );
  }
  const store = storeTransform(storeId, name, inRange);
  if (resuming) {
    const since = resolveSince(db, options.since);
    const matching = parseMatching(options.matching!);
    return started(new Follower(db.changes, since, filterTransform(store, predicate, matching)), since);
  }
  const start = readSnapshot(db, storeId, name, range, predicate);
  const matching = new Set(start.entries.map((entry) => entry.key));
  const transform = filterTransform(store, predicate, matching);
  // Created in the same turn as the read: it follows from the snapshot's LSN.
  if (!snapshot) return started(new Follower(db.changes, start.lsn, transform), start.lsn);
  const prefix = snapshotEvents(db, start, name) as AsyncIterator<FilterEvent>;
  return started(new Follower(db.changes, start.lsn, transform, prefix), start.lsn, start.entries.length);
}

function parseMatching(matching: Iterable<KeyInput>): Set<Key> {
  const keys = new Set<Key>();
  let i = 0;
  for (const key of matching) {
    if (i >= SCAN_ROWS_MAX) {
      throw new PlanckError("limit_exceeded", `At most ${SCAN_ROWS_MAX} matching keys (SCAN_ROWS_MAX)`, {
        limit: "SCAN_ROWS_MAX",
      });
    }
    keys.add(parseKey(key, `matching.${i++}`));
  }
  return keys;
}

/** Enter, update, leave: a store watch's events against the filter and the keys that match now. */
function filterTransform(
  store: Transform<ChangeEvent>,
  predicate: (doc: Document, key: Key) => boolean,
  matching: Set<Key>,
): Transform<FilterEvent> {
  return (record, commitLsn) => {
    const event = store(record, commitLsn);
    if (event === undefined || event === END) return event;
    const was = matching.has(event.key);
    const now = event.doc !== undefined && predicate(event.doc, event.key);
    if (!was && !now) return undefined;
    const base = { lsn: event.lsn, commitLsn: event.commitLsn, store: event.store, key: event.key };
    if (now) {
      matching.add(event.key);
      return { ...base, op: was ? "update" : "enter", doc: event.doc };
    }
    matching.delete(event.key);
    return { ...base, op: "leave" };
  };
}
