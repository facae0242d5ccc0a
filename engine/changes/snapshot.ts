/**
 * The snapshot of a watch (`snapshot: true`): the documents a watch covers as of one LSN, read in
 * one synchronous pass (no write can land in between), then yielded as `snapshot` events carrying
 * that LSN before the watch follows the changes after it — no gap, no duplicate.
 *
 * Invariants: every entry was live at `lsn` (the database's last LSN when the pass ran); the
 * entries are in key order; at most SCAN_ROWS_MAX documents are read, else `limit_exceeded`;
 * nothing is yielded before `lsn` is durable, so a snapshot never shows a write a crash could undo.
 */
import type { ChangeSource } from "./source.ts";
import { decodeDocument, type Document } from "../document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { Key } from "../key.ts";
import { SCAN_ROWS_MAX } from "../limits.ts";
import type { SnapshotEvent } from "./record.ts";
import type { KeyRange } from "./watch.ts";

/** One document of a snapshot, decoded. */
export interface SnapshotEntry {
  key: Key;
  doc: Document;
}

/** The documents of a store in `range` that pass `keep`, as of the database's last LSN. */
export interface Snapshot {
  lsn: number;
  entries: SnapshotEntry[];
}

/**
 * Reads the documents of store `storeId` within `range` that pass `keep` (all when absent).
 * @throws PlanckError `limit_exceeded` past SCAN_ROWS_MAX documents read
 */
export function readSnapshot(
  db: ChangeSource,
  storeId: number,
  name: string,
  range: KeyRange,
  keep?: (doc: Document, key: Key) => boolean,
): Snapshot {
  const lsn = db.lastLsn;
  const entries: SnapshotEntry[] = [];
  if (range.key !== undefined) {
    const bytes = db.read(storeId, range.key);
    if (bytes !== undefined) {
      const doc = decodeDocument(bytes);
      if (keep === undefined || keep(doc, range.key)) entries.push({ key: range.key, doc });
    }
    return { lsn, entries };
  }
  let rows = 0;
  for (const [key, bytes] of db.scan(storeId, { from: range.from, to: range.to })) {
    if (++rows > SCAN_ROWS_MAX) {
      throw new PlanckError(
        "limit_exceeded",
        `A watch reads at most ${SCAN_ROWS_MAX} documents of "${name}" to start (the limit SCAN_ROWS_MAX); narrow it with key or from/to`,
        { limit: "SCAN_ROWS_MAX" },
      );
    }
    const doc = decodeDocument(bytes);
    if (keep === undefined || keep(doc, key)) entries.push({ key, doc });
  }
  return { lsn, entries };
}

/** Yields a snapshot's entries as `snapshot` events, once its LSN is durable. */
export async function* snapshotEvents(
  db: ChangeSource,
  snapshot: Snapshot,
  store: string,
): AsyncGenerator<SnapshotEvent> {
  await db.waitDurable(snapshot.lsn);
  for (const { key, doc } of snapshot.entries) {
    yield { lsn: snapshot.lsn, commitLsn: snapshot.lsn, op: "snapshot", store, key, doc };
  }
}
