/**
 * `store.watch()`: an async iterator of the change events of one store — the whole store, one key,
 * or a key range — starting after an LSN (`since`) or at the current end of the log ("now").
 *
 * The iterator ends when the database closes or the store is dropped. It throws PlanckError
 * `resume_point_lost` (naming the oldest LSN kept) when `since` is older than the WAL retained.
 * Events come in commit order, one per written document, each at most once; within a group in
 * frame order. Resuming with `since: event.lsn` continues right after that event.
 */
import type { Database } from "../db/database.ts";
import { PlanckError } from "../errors.ts";
import { type Key, type KeyInput, parseKey } from "../key.ts";
import { FrameKind } from "../wal/format.ts";
import { type ChangeEvent, eventOf } from "./record.ts";

/** What to watch and from where. `from` is inclusive, `to` exclusive; `key` excludes both. */
export interface WatchOptions {
  key?: KeyInput;
  from?: KeyInput;
  to?: KeyInput;
  /** Events after this LSN (a previous event's `lsn`), or "now" (the default): only later writes. */
  since?: number | "now";
}

/**
 * Starts a watch of store `name`. `since` is fixed at this call (not at the first `next()`).
 * @throws PlanckError `not_found` (store), `invalid_argument` (options)
 */
export function watchStore(
  db: Database,
  name: string,
  options: WatchOptions = {},
): AsyncIterableIterator<ChangeEvent> {
  const storeId = db.storeInfo(name).id;
  const since = resolveSince(db, options.since);
  const match = keyFilter(options);
  return follow(db, storeId, name, since, match);
}

function resolveSince(db: Database, since: WatchOptions["since"]): number {
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

function keyFilter(options: WatchOptions): (key: Key) => boolean {
  if (options.key !== undefined) {
    if (options.from !== undefined || options.to !== undefined) {
      throw new PlanckError("invalid_argument", "Invalid watch: give either key or from/to, not both", {
        field: "key",
      });
    }
    const key = parseKey(options.key, "key");
    return (k) => k === key;
  }
  const from = options.from === undefined ? undefined : parseKey(options.from, "from");
  const to = options.to === undefined ? undefined : parseKey(options.to, "to");
  return (k) => (from === undefined || k >= from) && (to === undefined || k < to);
}

async function* follow(
  db: Database,
  storeId: number,
  name: string,
  since: number,
  match: (key: Key) => boolean,
): AsyncGenerator<ChangeEvent> {
  let cursor = since;
  while (true) {
    const groups = await db.changes.next(cursor);
    if (groups === null) return;
    for (const group of groups) {
      for (const record of group.records) {
        if (record.lsn <= cursor || record.storeId !== storeId) continue;
        if (record.kind === FrameKind.dropStore) return;
        if (!match(record.key)) continue;
        const event = eventOf(record, group.commitLsn, name);
        if (event === undefined) continue;
        cursor = record.lsn;
        yield event;
      }
      cursor = Math.max(cursor, group.commitLsn);
    }
  }
}
