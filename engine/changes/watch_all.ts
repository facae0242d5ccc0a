/**
 * The instance-wide watch (`watchAll`): the change events of every store, system stores included,
 * in commit order — for admins (the wire `watch` op without a store checks the role). It does not
 * end when a store is dropped (events of stores created later follow), only when the database
 * closes. With `snapshot: true` it first yields every document of every store as of one LSN (op
 * "snapshot", one synchronous pass over the stores in catalog order, at most SCAN_ROWS_MAX
 * documents in all, else `limit_exceeded`), then the changes after that LSN: no gap, no duplicate.
 *
 * Store names: taken from the catalog when the watch starts and from the `createStore` frames it
 * passes. A store created before `since` and dropped before the watch started is not in either;
 * its events name it `#<store id>`.
 */
import type { ChangeSource } from "./source.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { FrameKind } from "../wal/format.ts";
import { SCAN_ROWS_MAX } from "../limits.ts";
import { type ChangeEvent, eventOf, type SnapshotEvent } from "./record.ts";
import { readSnapshot, type Snapshot, snapshotEvents } from "./snapshot.ts";
import { Follower, type Transform } from "./follower.ts";
import { resolveSince, snapshotRequested, started, type WatchIterator } from "./watch.ts";

/** Options of an instance-wide watch. */
export interface WatchAllOptions {
  /** Events after this LSN, or "now" (the default). */
  since?: number | "now";
  /** First every document of every store as of one LSN (op "snapshot"), then the changes after it. */
  snapshot?: boolean;
}

const decoder = new TextDecoder();

/**
 * Starts an instance-wide watch; `since` is fixed at this call.
 * @throws PlanckError `invalid_argument` (since)
 */
export function watchAll(
  db: ChangeSource,
  options?: WatchAllOptions & { snapshot?: false },
): WatchIterator<ChangeEvent>;
export function watchAll(
  db: ChangeSource,
  options: WatchAllOptions,
): WatchIterator<ChangeEvent | SnapshotEvent>;
export function watchAll(
  db: ChangeSource,
  options: WatchAllOptions = {},
): WatchIterator<ChangeEvent | SnapshotEvent> {
  for (const field of Object.keys(options)) {
    if (field !== "since" && field !== "snapshot") {
      throw new PlanckError(
        "invalid_argument",
        `Unknown option "${field.slice(0, 40)}" of an instance-wide watch`,
        {
          field,
        },
      );
    }
  }
  const stores = db.listStores();
  const names = new Map<number, string>(stores.map((info) => [info.id, info.name]));
  if (snapshotRequested(options)) {
    const snapshots: [string, Snapshot][] = [];
    let documents = 0;
    // One synchronous pass: no write lands between two stores, so every snapshot has the same LSN.
    for (const info of stores) {
      const snapshot = readSnapshot(db, info.id, info.name, {});
      documents += snapshot.entries.length;
      if (documents > SCAN_ROWS_MAX) {
        throw new PlanckError(
          "limit_exceeded",
          `An instance-wide watch reads at most ${SCAN_ROWS_MAX} documents to start (the limit SCAN_ROWS_MAX); watch stores one by one`,
          { limit: "SCAN_ROWS_MAX" },
        );
      }
      snapshots.push([info.name, snapshot]);
    }
    const lsn = db.lastLsn;
    const events = new Follower(db.changes, lsn, allTransform(names), allSnapshots(db, snapshots));
    return started(events, lsn, documents);
  }
  const since = resolveSince(db, options.since);
  return started(new Follower(db.changes, since, allTransform(names)), since);
}

async function* allSnapshots(
  db: ChangeSource,
  snapshots: [string, Snapshot][],
): AsyncGenerator<SnapshotEvent> {
  for (const [name, snapshot] of snapshots) yield* snapshotEvents(db, snapshot, name);
}

/** Every store's events; `names` learns the stores created on the way. */
function allTransform(names: Map<number, string>): Transform<ChangeEvent | SnapshotEvent> {
  return (record, commitLsn) => {
    if (record.kind === FrameKind.createStore && record.value !== undefined) {
      names.set(record.storeId, decoder.decode(record.value));
      return undefined;
    }
    return eventOf(record, commitLsn, names.get(record.storeId) ?? `#${record.storeId}`);
  };
}
