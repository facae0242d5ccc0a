/**
 * What change streams read of a database: its change log, its last LSN, its stores and their
 * committed documents. engine/db/database.ts implements it; declaring it here keeps changes/ below
 * db/ (the database feeds the change log; watchers only read).
 *
 * Invariants: `read` and `scan` see committed state as of `lastLsn` at the moment of the call.
 */
import type { Key } from "../key.ts";
import type { ChangeLog } from "./change_log.ts";

/** A store as change streams name it. */
export interface ChangeStore {
  readonly id: number;
  readonly name: string;
}

/** The database as change streams see it. */
export interface ChangeSource {
  readonly lastLsn: number;
  readonly changes: ChangeLog;
  storeInfo(name: string): ChangeStore;
  listStores(): ChangeStore[];
  read(storeId: number, key: Key): Uint8Array | undefined;
  scan(storeId: number, options: { from?: Key; to?: Key }): Iterable<[Key, Uint8Array]>;
  waitDurable(lsn: number): Promise<void>;
}
