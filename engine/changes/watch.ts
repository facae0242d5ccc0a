/**
 * `store.watch()`: an async iterator of the change events of one store — the whole store, one key,
 * or a key range — starting after an LSN (`since`) or at the current end of the log ("now"), or
 * with `snapshot: true` first the documents as of one LSN (snapshot.ts), then the changes after it.
 *
 * The iterator ends when the database closes or the store is dropped. It throws PlanckError
 * `resume_point_lost` (naming the oldest LSN kept) when `since` is older than the WAL retained.
 * Events come in commit order, one per written document, each at most once; within a group in
 * frame order. Resuming with `since: event.lsn` continues right after that event.
 */
import type { ChangeSource } from "./source.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Key, type KeyInput, parseKey } from "../key.ts";
import { FrameKind } from "../wal/format.ts";
import { type ChangeEvent, eventOf, type SnapshotEvent } from "./record.ts";
import { END, Follower, type Transform } from "./follower.ts";
import { readSnapshot, snapshotEvents } from "./snapshot.ts";

/** What to watch and from where. `from` is inclusive, `to` exclusive; `key` excludes both. */
export interface WatchOptions {
  key?: KeyInput;
  from?: KeyInput;
  to?: KeyInput;
  /** Events after this LSN (a previous event's `lsn`), or "now" (the default): only later writes. */
  since?: number | "now";
  /**
   * First the documents as of one LSN (events with op "snapshot" carrying that LSN), then the
   * changes after it. Only with `since` "now" (or absent).
   */
  snapshot?: boolean;
}

/** A watch's events, with where it starts: after `startLsn`, first `snapshotSize` snapshot events. */
export type WatchIterator<E> = AsyncIterableIterator<E> & {
  /** The LSN the watch starts after (its `since`, or the snapshot's LSN). */
  readonly startLsn: number;
  /** How many "snapshot" events come first (0 without a snapshot). */
  readonly snapshotSize: number;
};

/** Marks an iterator with where its watch starts. */
export function started<E>(
  events: AsyncIterableIterator<E>,
  startLsn: number,
  snapshotSize = 0,
): WatchIterator<E> {
  return Object.assign(events, { startLsn, snapshotSize });
}

/** The keys a watch covers, parsed: one key, or a range (either end open). */
export interface KeyRange {
  key?: Key;
  from?: Key;
  to?: Key;
}

/**
 * Starts a watch of store `name`. `since` (and the snapshot) are fixed at this call, not at the
 * first `next()`.
 * @throws PlanckError `not_found` (store), `invalid_argument` (options), `limit_exceeded` (snapshot)
 */
export function watchStore(
  db: ChangeSource,
  name: string,
  options?: WatchOptions & { snapshot?: false },
): WatchIterator<ChangeEvent>;
export function watchStore(
  db: ChangeSource,
  name: string,
  options: WatchOptions,
): WatchIterator<ChangeEvent | SnapshotEvent>;
export function watchStore(
  db: ChangeSource,
  name: string,
  options: WatchOptions = {},
): WatchIterator<ChangeEvent | SnapshotEvent> {
  const storeId = db.storeInfo(name).id;
  const range = parseRange(options);
  const transform = storeTransform(storeId, name, rangeMatch(range));
  if (snapshotRequested(options)) {
    const snapshot = readSnapshot(db, storeId, name, range);
    const prefix = snapshotEvents(db, snapshot, name);
    const events = new Follower<ChangeEvent | SnapshotEvent>(db.changes, snapshot.lsn, transform, prefix);
    return started(events, snapshot.lsn, snapshot.entries.length);
  }
  const since = resolveSince(db, options.since);
  return started(new Follower<ChangeEvent | SnapshotEvent>(db.changes, since, transform), since);
}

/** True when `snapshot: true`; checks that it comes without an LSN to resume from. */
export function snapshotRequested(options: { since?: number | "now"; snapshot?: boolean }): boolean {
  if (options.snapshot !== undefined && typeof options.snapshot !== "boolean") {
    throw new PlanckError("invalid_argument", "Invalid snapshot: expected true or false", {
      field: "snapshot",
    });
  }
  if (options.snapshot !== true) return false;
  if (options.since !== undefined && options.since !== "now") {
    throw new PlanckError(
      "invalid_argument",
      'Invalid watch: snapshot starts "now"; resume with since and no snapshot',
      { field: "snapshot" },
    );
  }
  return true;
}

/** The LSN a watch starts after. @throws PlanckError `invalid_argument` (field "since") */
export function resolveSince(db: ChangeSource, since: WatchOptions["since"]): number {
  if (since === undefined || since === "now") return db.lastLsn;
  if (!Number.isSafeInteger(since) || since < 0 || since > db.lastLsn) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid since ${String(since)}: expected "now" or an LSN from 0 to the last LSN ${db.lastLsn}`,
      { field: "since" },
    );
  }
  return since;
}

/** Parses `key` or `from`/`to`. @throws PlanckError `invalid_argument` naming the field */
export function parseRange(options: { key?: KeyInput; from?: KeyInput; to?: KeyInput }): KeyRange {
  if (options.key !== undefined) {
    if (options.from !== undefined || options.to !== undefined) {
      throw new PlanckError("invalid_argument", "Invalid watch: give either key or from/to, not both", {
        field: "key",
      });
    }
    return { key: parseKey(options.key, "key") };
  }
  return {
    from: options.from === undefined ? undefined : parseKey(options.from, "from"),
    to: options.to === undefined ? undefined : parseKey(options.to, "to"),
  };
}

/** The key test of a range. */
export function rangeMatch(range: KeyRange): (key: Key) => boolean {
  const { key, from, to } = range;
  if (key !== undefined) return (k) => k === key;
  return (k) => (from === undefined || k >= from) && (to === undefined || k < to);
}

/** Yields everything `first` yields, then everything the iterator `then()` returns yields. */
export async function* chain<A, B>(
  first: AsyncIterable<A>,
  then: () => AsyncIterable<B>,
): AsyncGenerator<A | B> {
  yield* first;
  yield* then();
}

/** The events of store `storeId` whose key passes `match`, as a follower's transform; END when the store is dropped. */
export function storeTransform(
  storeId: number,
  name: string,
  match: (key: Key) => boolean,
): Transform<ChangeEvent> {
  return (record, commitLsn) => {
    if (record.storeId !== storeId) return undefined;
    if (record.kind === FrameKind.dropStore) return END;
    if (!match(record.key)) return undefined;
    return eventOf(record, commitLsn, name);
  };
}
