/**
 * A store handle: the document operations of one store. Every write runs as one atomic group
 * through Database.commit; reads are synchronous.
 */
import type { Database, ScanOptions } from "./database.ts";
import { decodeDocument, type Document } from "../document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type Key, type KeyInput, parseKey } from "../key.ts";
import { SCAN_ROWS_MAX } from "../limits.ts";
import { stageWrite, type WriteOp } from "./stage_write.ts";
import type { ChangeEvent, SnapshotEvent } from "../changes/record.ts";
import { type WatchIterator, type WatchOptions, watchStore } from "../changes/watch.ts";
import { type FilterEvent, type FilterWatchOptions, watchFilter } from "../changes/filter_watch.ts";

export { stageWrite, type WriteOp };

/** What a batch did: for each op, the key it wrote (delete of a missing key: null). */
export interface BatchResult {
  keys: (Key | null)[];
  lsn: number;
}

/** Runs `ops` as one atomic group. */
export async function batch(db: Database, ops: readonly WriteOp[]): Promise<BatchResult> {
  const writes = db.writeSet();
  const keys = ops.map((op) => stageWrite(db, writes, op));
  const lsn = await db.commit(writes);
  return { keys, lsn };
}

/** Operations on one store. */
export class Store {
  readonly #db: Database;
  readonly name: string;

  constructor(db: Database, name: string) {
    this.#db = db;
    this.name = name;
    db.storeInfo(name); // unknown store: fail now, with its name
  }

  /** Inserts a document; returns its key (server-generated unless given). */
  async insert(doc: Document | Uint8Array, options: { key?: KeyInput } = {}): Promise<Key> {
    return (await this.#one({ op: "insert", store: this.name, doc, key: options.key }))!;
  }

  /** Inserts or overwrites the document under `key`. */
  async put(key: KeyInput, doc: Document | Uint8Array): Promise<Key> {
    return (await this.#one({ op: "put", store: this.name, key, doc }))!;
  }

  /** Replaces an existing document. @throws PlanckError `not_found` */
  async replace(key: KeyInput, doc: Document | Uint8Array): Promise<void> {
    await this.#one({ op: "replace", store: this.name, key, doc });
  }

  /** Merges `fields` into an existing document (top-level fields). @throws PlanckError `not_found` */
  async update(key: KeyInput, fields: Document): Promise<void> {
    await this.#one({ op: "update", store: this.name, key, set: fields });
  }

  /** Deletes a document; false when there was none. */
  async delete(key: KeyInput): Promise<boolean> {
    return (await this.#one({ op: "delete", store: this.name, key })) !== null;
  }

  /** The document under `key`, decoded, or undefined. */
  get(key: KeyInput): Document | undefined {
    const bytes = this.getRaw(key);
    return bytes === undefined ? undefined : decodeDocument(bytes);
  }

  /** The stored BSON bytes under `key`, or undefined. */
  getRaw(key: KeyInput): Uint8Array | undefined {
    return this.#db.read(this.#db.storeInfo(this.name).id, parseKey(key));
  }

  /** Documents in key order (from inclusive, to exclusive), decoded, with their keys. */
  scan(options: ScanOptions = {}): { key: Key; doc: Document }[] {
    return this.scanRaw(options).map(([key, bytes]) => ({ key, doc: decodeDocument(bytes) }));
  }

  /** Like scan, with the stored BSON bytes. */
  scanRaw(options: ScanOptions = {}): [Key, Uint8Array][] {
    const limit = options.limit ?? SCAN_ROWS_MAX;
    if (!Number.isInteger(limit) || limit < 0 || limit > SCAN_ROWS_MAX) {
      throw new PlanckError("invalid_argument", `Invalid limit ${limit}: 0 to ${SCAN_ROWS_MAX}`, {
        field: "limit",
      });
    }
    const from = options.from === undefined ? undefined : parseKey(options.from, "from");
    const to = options.to === undefined ? undefined : parseKey(options.to, "to");
    return [...this.#db.scan(this.#db.storeInfo(this.name).id, { ...options, from, to, limit })];
  }

  /**
   * The change events of this store (all of it, one `key`, or a `from`/`to` range) after `since`
   * (an LSN, or "now": the default) as an async iterator; docs/changes.md.
   * @example
   * ```ts
   * import { openDatabase, Store } from "../mod.ts";
   * const dir = await Deno.makeTempDir();
   * const db = await openDatabase(dir);
   * await db.createStore("orders");
   * const orders = new Store(db, "orders");
   * const events = orders.watch();
   * const key = await orders.insert({ status: "open" });
   * const { value } = await events.next();
   * console.assert(value.op === "insert" && value.key === key);
   * await db.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   * @throws PlanckError `invalid_argument` (options); the iterator throws `resume_point_lost`
   */
  watch(options?: WatchOptions & { snapshot?: false }): WatchIterator<ChangeEvent>;
  watch(options: WatchOptions): WatchIterator<ChangeEvent | SnapshotEvent>;
  watch(options: WatchOptions = {}): WatchIterator<ChangeEvent | SnapshotEvent> {
    return watchStore(this.#db, this.name, options);
  }

  /**
   * The documents matching `filter` (a query filter, docs/query.md) from now on, as `enter`,
   * `update` and `leave` events (engine/changes/filter_watch.ts); `snapshot: true` yields the
   * matching documents first; `since` with `matching` resumes.
   * @throws PlanckError `invalid_argument` (filter, options)
   */
  watchFilter(filter: unknown, options: FilterWatchOptions = {}): WatchIterator<FilterEvent> {
    return watchFilter(this.#db, this.name, filter, options);
  }

  async #one(op: WriteOp): Promise<Key | null> {
    const writes = this.#db.writeSet();
    const key = stageWrite(this.#db, writes, op);
    await this.#db.commit(writes);
    return key;
  }
}
