/**
 * A write set: the buffered writes of one atomic group (a batch or a transaction) with
 * read-your-writes over the database's committed state. Committing it turns each written key's
 * final version into one WAL frame; all of them share one commit marker.
 *
 * One shape for every writer: a batch, a query outside a transaction and a transaction all stage
 * into a WriteSet, and a transaction's queries stage straight into the transaction's own set;
 * `atomically` makes one staging step (a query, a Store op) all or nothing inside it.
 *
 * Invariants: one slot per written key, holding that key's last write; a key first written as fresh
 * (no committed version) stays fresh through rewrites, and a fresh key deleted again writes no frame;
 * a step of `atomically` that throws leaves the writes and unique claims exactly as before it.
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
  /** Unique values claimed by this set's writes (`index id:values` → key). */
  readonly #claims = new Map<string, Key>();
  /** While an `atomically` step runs: the slots it overwrote, as [position, previous write]. */
  readonly #undoSlots: [number, PendingWrite][] = [];
  /** While an `atomically` step runs: the claims it set, as [value, previous holder]. */
  readonly #undoClaims: [string, Key | undefined][] = [];
  /** Number of slots before the running `atomically` step; -1 when none runs. */
  #mark = -1;

  constructor(view: ReadView) {
    this.#view = view;
  }

  /**
   * Runs one staging step all or nothing: when `stage` throws, every write and claim it made is
   * undone before the error propagates (a failed query or Store op inside a transaction leaves the
   * transaction's writes as they were). A step nested in another is undone by the outer one.
   */
  atomically<T>(stage: () => T): T {
    if (this.#mark >= 0) return stage();
    this.#mark = this.#order.length;
    try {
      return stage();
    } catch (error) {
      this.#undo();
      throw error;
    } finally {
      this.#mark = -1;
      this.#undoSlots.length = 0;
      this.#undoClaims.length = 0;
    }
  }

  #undo(): void {
    for (let i = this.#undoClaims.length - 1; i >= 0; i--) {
      const [value, holder] = this.#undoClaims[i];
      if (holder === undefined) this.#claims.delete(value);
      else this.#claims.set(value, holder);
    }
    for (let i = this.#undoSlots.length - 1; i >= 0; i--) {
      const [at, previous] = this.#undoSlots[i];
      this.#order[at] = previous;
    }
    for (let at = this.#order.length - 1; at >= this.#mark; at--) {
      const write = this.#order[at];
      this.#index.get(write.storeId)!.delete(write.key);
    }
    this.#order.length = this.#mark;
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
      if (this.#mark >= 0 && at < this.#mark) this.#undoSlots.push([at, slot]);
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
    this.#setClaim(value, key, undefined);
    return key;
  }

  /** Hands the claim on `value` to `key` (its holder no longer has the value). */
  reclaim(value: string, key: Key): void {
    this.#setClaim(value, key, this.#claims.get(value));
  }

  #setClaim(value: string, key: Key, holder: Key | undefined): void {
    if (this.#mark >= 0) this.#undoClaims.push([value, holder]);
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
