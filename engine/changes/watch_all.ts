/**
 * The instance-wide watch (`watchAll`): the change events of every store, system stores included,
 * in commit order — for admins (the wire `watch` op without a store checks the role). It does not
 * end when a store is dropped (events of stores created later follow), only when the database
 * closes. `snapshot` is not offered: a snapshot of every store is a backup, not a watch.
 *
 * Store names: taken from the catalog when the watch starts and from the `createStore` frames it
 * passes. A store created before `since` and dropped before the watch started is not in either;
 * its events name it `#<store id>`.
 */
import type { ChangeSource } from "./source.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { FrameKind } from "../wal/format.ts";
import { type ChangeEvent, eventOf } from "./record.ts";
import { resolveSince, started, type WatchIterator } from "./watch.ts";

/** Options of an instance-wide watch. */
export interface WatchAllOptions {
  /** Events after this LSN, or "now" (the default). */
  since?: number | "now";
}

const decoder = new TextDecoder();

/**
 * Starts an instance-wide watch; `since` is fixed at this call.
 * @throws PlanckError `invalid_argument` (since)
 */
export function watchAll(db: ChangeSource, options: WatchAllOptions = {}): WatchIterator<ChangeEvent> {
  for (const field of Object.keys(options)) {
    if (field !== "since") {
      throw new PlanckError(
        "invalid_argument",
        `Unknown option "${field.slice(0, 40)}" of an instance-wide watch`,
        {
          field,
        },
      );
    }
  }
  const since = resolveSince(db, options.since);
  const names = new Map<number, string>(db.listStores().map((info) => [info.id, info.name]));
  return started(follow(db, since, names), since);
}

async function* follow(
  db: ChangeSource,
  since: number,
  names: Map<number, string>,
): AsyncGenerator<ChangeEvent> {
  let cursor = since;
  while (true) {
    const groups = await db.changes.next(cursor);
    if (groups === null) return;
    for (const group of groups) {
      for (const record of group.records) {
        if (record.lsn <= cursor) continue;
        if (record.kind === FrameKind.createStore && record.value !== undefined) {
          names.set(record.storeId, decoder.decode(record.value));
          continue;
        }
        const event = eventOf(record, group.commitLsn, names.get(record.storeId) ?? `#${record.storeId}`);
        if (event === undefined) continue;
        cursor = record.lsn;
        yield event;
      }
      cursor = Math.max(cursor, group.commitLsn);
    }
  }
}
