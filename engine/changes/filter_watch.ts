/**
 * A filter watch: the documents of a store that match a filter (engine/query/ filter documents,
 * evaluated by the query layer's own evaluator), as `enter` (a document starts matching: inserted
 * matching, or updated into the filter), `update` (it matched before and still does), `leave` (it
 * matched and no longer does: updated out of the filter, or deleted). A write that moves a document
 * out of the filter is a `leave`, never silence.
 *
 * Which keys match when the watch starts is read synchronously in `watchFilter` (the state at the
 * LSN the watch starts from), so a filter watch starts "now" only: resuming one from an older LSN
 * would need the matching set as of that LSN, which the engine does not keep (docs/changes.md).
 */
import type { Database } from "../db/database.ts";
import { decodeDocument, type Document } from "../document.ts";
import { PlanckError } from "../errors.ts";
import type { Key } from "../key.ts";
import { SCAN_ROWS_MAX } from "../limits.ts";
import { compileFilter } from "../query/filter.ts";
import type { Document as QueryDocument } from "../query/query_document.ts";
import { validateFilter } from "../query/validate_filter.ts";
import type { ChangeEvent } from "./record.ts";
import { watchStore } from "./watch.ts";

/** One event of a filter watch. */
export interface FilterEvent {
  lsn: number;
  commitLsn: number;
  op: "enter" | "update" | "leave";
  store: string;
  key: Key;
  /** The document now (enter, update; absent on leave). */
  doc?: Document;
}

/**
 * Starts a filter watch of store `name` from now. `filter` is a query filter (docs/query.md).
 * @throws PlanckError `not_found` (store), `invalid_argument` (filter), `limit_exceeded` when more
 * than SCAN_ROWS_MAX documents of the store are read to find the matching set
 */
export function watchFilter(db: Database, name: string, filter: unknown): AsyncIterableIterator<FilterEvent> {
  const predicate = compileFilter(validateFilter(filter));
  const storeId = db.storeInfo(name).id;
  const matching = new Set<Key>();
  let rows = 0;
  for (const [key, bytes] of db.scan(storeId)) {
    if (++rows > SCAN_ROWS_MAX) {
      throw new PlanckError(
        "limit_exceeded",
        `A filter watch reads at most ${SCAN_ROWS_MAX} documents of "${name}" to start (the limit SCAN_ROWS_MAX)`,
        { limit: "SCAN_ROWS_MAX" },
      );
    }
    if (predicate(decodeDocument(bytes) as QueryDocument, key)) matching.add(key);
  }
  const events = watchStore(db, name, { since: "now" }); // same turn as the scan: same LSN
  return follow(events, (doc, key) => predicate(doc as QueryDocument, key), matching);
}

async function* follow(
  events: AsyncIterableIterator<ChangeEvent>,
  predicate: (doc: Document, key: Key) => boolean,
  matching: Set<Key>,
): AsyncGenerator<FilterEvent> {
  for await (const event of events) {
    const was = matching.has(event.key);
    const now = event.doc !== undefined && predicate(event.doc, event.key);
    if (!was && !now) continue;
    const base = { lsn: event.lsn, commitLsn: event.commitLsn, store: event.store, key: event.key };
    if (now) {
      matching.add(event.key);
      yield { ...base, op: was ? "update" : "enter", doc: event.doc };
    } else {
      matching.delete(event.key);
      yield { ...base, op: "leave" };
    }
  }
}
