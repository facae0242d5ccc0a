/**
 * A write set: the buffered writes of one atomic group (a batch or a transaction) with
 * read-your-writes over the database's committed state. Committing it turns each written key's
 * final version into one WAL frame; all of them share one commit marker.
 *
 * Invariants: one slot per written key, holding that key's last write; a key first written as fresh
 * (no committed version) stays fresh through rewrites, and a fresh key deleted again writes no frame.
 */
import { type FrameInput, FrameKind } from "../wal/format.ts";
import type { Key } from "../key.ts";
import { assert } from "../assert.ts";

/** Reads committed state: a document's bytes, or undefined when the key has no live version. */
export interface ReadView {
  read(storeId: number, key: Key): Uint8Array | undefined;
  /**
   * Notes that a unique check consulted committed index entries [from, to) of `indexId` and saw
   * `seen` (a transaction's view adds it to its read set; other views need not implement it).
   */
  recordIndexRange?(indexId: number, from: string, to: string, seen: readonly string[]): void;
}

/** One buffered write: the key's final version in this set (null = delete). */
export interface PendingWrite {
  storeId: number;
  key: Key;
  value: Uint8Array | null;
  /** True when the key had no committed version (a server-generated key): written as an `insert` frame. */
  fresh?: boolean;
}

/** Buffered writes with read-your-writes. */
export class WriteSet {
  readonly #view: ReadView;
  /** Position in #order of each written key, per store (no "store:key" strings to build and hash). */
  readonly #index = new Map<number, Map<Key, number>>();
  /** The writes in the order their keys were first written; a rewrite replaces its slot. */
  readonly #order: PendingWrite[] = [];
  readonly #claims: Map<string, Key>;

  /**
   * @param shareClaimsOf a write set whose unique-value claims this one shares (a query's writes
   * staged inside a transaction: a duplicate of a value the transaction already staged is caught)
   */
  constructor(view: ReadView, shareClaimsOf?: WriteSet) {
    this.#view = view;
    this.#claims = shareClaimsOf === undefined ? new Map() : shareClaimsOf.#claims;
  }

  /** Number of distinct keys written. */
  get size(): number {
    return this.#order.length;
  }

  /** The live value of `key` as this set sees it. */
  read(storeId: number, key: Key): Uint8Array | undefined {
    const at = this.#index.get(storeId)?.get(key);
    if (at !== undefined) return this.#order[at].value ?? undefined;
    return this.#view.read(storeId, key);
  }

  /** Buffers a new version of `key`; `fresh` when the key is known to have no committed version. */
  put(storeId: number, key: Key, value: Uint8Array, fresh = false): void {
    this.#set({ storeId, key, value, fresh });
  }

  #set(write: PendingWrite): void {
    let keys = this.#index.get(write.storeId);
    if (keys === undefined) {
      keys = new Map();
      this.#index.set(write.storeId, keys);
    }
    const at = keys.get(write.key);
    if (at !== undefined) {
      const slot = this.#order[at];
      assert(
        slot.storeId === write.storeId && slot.key === write.key,
        "write set: a key's slot holds that key",
      );
      if (slot.fresh === true) write.fresh = true; // still nothing committed under the key
      this.#order[at] = write;
    } else {
      keys.set(write.key, this.#order.length);
      this.#order.push(write);
    }
  }

  /**
   * Claims a unique value (`index id:values`) for `key`; returns the key holding it (the first
   * claimer wins), so staging can detect two documents of one group with the same unique value.
   */
  claim(value: string, key: Key): Key {
    const holder = this.#claims.get(value);
    if (holder !== undefined) return holder;
    this.#claims.set(value, key);
    return key;
  }

  /** Hands the claim on `value` to `key` (its holder no longer has the value). */
  reclaim(value: string, key: Key): void {
    this.#claims.set(value, key);
  }

  /** Passes a unique check's index read on to the view (see ReadView.recordIndexRange). */
  recordIndexRange(indexId: number, from: string, to: string, seen: readonly string[]): void {
    this.#view.recordIndexRange?.(indexId, from, to, seen);
  }

  /** Buffers a delete of `key`. */
  delete(storeId: number, key: Key): void {
    this.#set({ storeId, key, value: null });
  }

  /** The buffered writes, in the order their keys were first written. */
  writes(): IterableIterator<PendingWrite> {
    return this.#order.values();
  }

  /** Writes of one store (the query layer's read-your-writes scans use it). */
  writesOf(storeId: number): PendingWrite[] {
    return this.#index.has(storeId) ? this.#order.filter((w) => w.storeId === storeId) : [];
  }

  /**
   * One WAL frame per written key: `insert` for a fresh key, else `put` (the database then looks up
   * the committed version and turns a put without one into an insert: engine/db/database.ts).
   */
  toFrames(): FrameInput[] {
    const frames: FrameInput[] = [];
    for (const write of this.#order) {
      if (write.value === null && write.fresh === true) continue; // created and deleted in this set
      frames.push(
        write.value === null ? { kind: FrameKind.delete, storeId: write.storeId, hexKey: write.key } : {
          kind: write.fresh === true ? FrameKind.insert : FrameKind.put,
          storeId: write.storeId,
          value: write.value,
          hexKey: write.key,
        },
      );
    }
    return frames;
  }
}
