/**
 * Transactions: `transaction(db, fn)` runs fn with a Transaction whose writes are buffered
 * (read-your-writes) and committed as one atomic WAL group when fn returns; if fn throws, nothing
 * is written. docs/transactions.md states exactly which isolation holds.
 *
 * Commit (numbered as in database.ts):
 *   1. fn returns (a synchronous fn commits in the same turn: nothing else can run in between);
 *   2. the read set is validated against committed state (read_set.ts) — a stale read throws
 *      `conflict` and nothing is written;
 *   3. in the same synchronous turn, the write set is appended to the WAL as one group;
 *   4. the returned promise resolves once the group is durable.
 *
 * Invariants: a transaction is used only while fn runs (later calls throw TypeError); it commits
 * at most once; DDL does not run inside it.
 */
import type { Database } from "../db/database.ts";
import { assert } from "../assert.ts";
import { decodeDocument, type Document } from "../document.ts";
import type { Key, KeyInput } from "../key.ts";
import { parseKey } from "../key.ts";
import { type ExecutionContext, runFindRows, runStaged } from "../exec/executor.ts";
import type { QueryDocument } from "../../protocol/query_document.ts";
import { validateQuery } from "../query/validate.ts";
import { ReadSet } from "./read_set.ts";
import { stageWrite, type WriteOp } from "../db/stage_write.ts";
import { TransactionView } from "./transaction_view.ts";

/** One store inside a transaction: Store's operations, staged into the transaction. */
export class TransactionStore {
  readonly name: string;
  readonly #tx: Transaction;
  readonly #stage: (op: WriteOp) => Key | null;
  readonly #read: (key: KeyInput) => Uint8Array | undefined;

  /** @internal Use Transaction.store. */
  constructor(
    tx: Transaction,
    name: string,
    access: { stage: (op: WriteOp) => Key | null; read: (key: KeyInput) => Uint8Array | undefined },
  ) {
    this.#tx = tx;
    this.name = name;
    this.#stage = access.stage;
    this.#read = access.read;
  }

  /** The document under `key` as this transaction sees it, or undefined. */
  get(key: KeyInput): Document | undefined {
    const bytes = this.#read(key);
    return bytes === undefined ? undefined : decodeDocument(bytes);
  }

  /** Stages an insert; returns the key (server-generated unless given). @throws `conflict` */
  insert(doc: Document | Uint8Array, options: { key?: KeyInput } = {}): Key {
    return this.#stage({ op: "insert", store: this.name, doc, key: options.key })!;
  }

  /** Stages an insert-or-overwrite under `key`. */
  put(key: KeyInput, doc: Document | Uint8Array): Key {
    return this.#stage({ op: "put", store: this.name, key, doc })!;
  }

  /** Stages a replace of an existing document. @throws PlanckError `not_found` */
  replace(key: KeyInput, doc: Document | Uint8Array): void {
    this.#stage({ op: "replace", store: this.name, key, doc });
  }

  /** Stages a merge of top-level `fields` into an existing document. @throws PlanckError `not_found` */
  update(key: KeyInput, fields: Document): void {
    this.#stage({ op: "update", store: this.name, key, set: fields });
  }

  /** Stages a delete; false when there was no document. */
  delete(key: KeyInput): boolean {
    return this.#stage({ op: "delete", store: this.name, key }) !== null;
  }

  /** The transaction this store handle belongs to. */
  get transaction(): Transaction {
    return this.#tx;
  }
}

let commitOf: (tx: Transaction) => Promise<number>;
let abortOf: (tx: Transaction) => void;

/** A transaction in progress. Create with `transaction(db, fn)`. */
export class Transaction {
  readonly db: Database;
  readonly #readSet: ReadSet;
  readonly #view: TransactionView;
  /** Where this transaction's queries run: its view, and its own write set to stage into. */
  readonly #context: ExecutionContext;
  readonly #startLsn: number;
  /** True once a read ran after another write committed (the reads may span several states). */
  #readsSpanCommits = false;
  #open = true;

  static {
    commitOf = (tx) => tx.#commit();
    abortOf = (tx) => (tx.#open = false);
  }

  /** @internal Use transaction(). */
  constructor(db: Database) {
    this.db = db;
    this.#startLsn = db.lastLsn;
    this.#readSet = new ReadSet(this.#startLsn);
    this.#view = new TransactionView(db, this.#readSet);
    const writes = this.#view.writes;
    this.#context = { db, view: this.#view, writeSet: () => writes };
  }

  #checkOpen(): void {
    if (!this.#open) throw new TypeError("Cannot use a transaction after it ended");
  }

  /** Called before every read: notes whether committed state moved since the transaction began. */
  #beforeRead(): void {
    this.#checkOpen();
    if (this.db.lastLsn !== this.#startLsn) this.#readsSpanCommits = true;
  }

  /** Operations on one store, staged into this transaction. @throws PlanckError `not_found` */
  store(name: string): TransactionStore {
    this.#checkOpen();
    this.db.storeInfo(name);
    return new TransactionStore(this, name, {
      stage: (op) => {
        this.#checkOpen();
        const writes = this.#view.writes;
        return writes.atomically(() => stageWrite(this.db, writes, op));
      },
      read: (key) => {
        this.#beforeRead();
        return this.#view.read(this.db.storeInfo(name).id, parseKey(key));
      },
    });
  }

  /**
   * The stored BSON bytes of `key` in `store` as this transaction sees them (its own writes
   * first), recorded in its read set like any read; undefined when absent.
   * @throws PlanckError `not_found` (store), `invalid_argument` (key)
   */
  readBytes(store: string, key: string): Uint8Array | undefined {
    this.#beforeRead();
    return this.#view.read(this.db.storeInfo(store).id, parseKey(key));
  }

  /**
   * The rows of a find without projection (no `select` / `exclude`) as stored: key and BSON bytes
   * of each, in result order, recorded in the read set like any read. Undefined for any other
   * query (run those with `query`).
   * @throws as `query`
   */
  findRows(input: QueryDocument): { key: string; bytes: Uint8Array }[] | undefined {
    this.#beforeRead();
    const query = validateQuery(input);
    if (query.op !== "find" || query.select !== undefined || query.exclude !== undefined) return undefined;
    return runFindRows(this.#context, query);
  }

  /**
   * Runs a query document inside this transaction, synchronously: reads see the transaction's
   * writes, writes are staged (checked by db/stage_write.ts) straight into its write set, each
   * query all or nothing (WriteSet.atomically). Result shapes as executeQuery.
   */
  query(input: QueryDocument): unknown {
    this.#beforeRead();
    const query = validateQuery(input);
    const writes = this.#view.writes;
    const staged = writes.atomically(() => runStaged(this.#context, query));
    assert(
      staged.writes === undefined || staged.writes === writes,
      "transaction: a query stages into its set",
    );
    return staged.result;
  }

  /** True while the transaction has staged no write. */
  get readOnly(): boolean {
    return this.#view.writes.size === 0;
  }

  #commit(): Promise<number> {
    this.#checkOpen();
    this.#open = false;
    // A read-only transaction whose every read ran before anything else committed saw one state
    // (the one it began on): it is serializable there, whatever committed since.
    if (this.#view.writes.size === 0 && !this.#readsSpanCommits) return Promise.resolve(0);
    this.#readSet.validate(this.db, this.#view.writes);
    assert(this.db.lastLsn >= this.#startLsn, "transaction: committed state never moves back under it");
    return this.db.commit(this.#view.writes); // appends in this turn, before any other code runs
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * Runs `fn` as one transaction: its writes commit as one atomic WAL group when it returns
 * (durable when the promise resolves); if it throws, nothing is written.
 * @example
 * ```ts
 * import { openDatabase, transaction } from "../mod.ts";
 * const dir = await Deno.makeTempDir();
 * const db = await openDatabase(dir);
 * await db.createStore("accounts");
 * await transaction(db, (tx) => {
 *   const accounts = tx.store("accounts");
 *   accounts.put(1n, { balance: 90 });
 *   accounts.put(2n, { balance: 10 });
 * });
 * await db.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @throws PlanckError `conflict` when an async fn read something another writer changed before
 * the commit (retry the transaction); whatever fn throws
 */
export async function transaction<T>(db: Database, fn: (tx: Transaction) => T | Promise<T>): Promise<T> {
  const tx = new Transaction(db);
  let value: T;
  try {
    const result = fn(tx);
    if (!isPromiseLike(result) && tx.readOnly) {
      // A synchronous fn that wrote nothing has nothing to commit, and nothing could interleave
      // with its reads: it ends here, without the commit's promise (a read-only service request).
      abortOf(tx);
      return result as T;
    }
    // A synchronous fn commits in this same turn: nothing can interleave with its reads.
    value = isPromiseLike(result) ? await result : result as T;
  } catch (error) {
    abortOf(tx);
    throw error;
  }
  await commitOf(tx);
  return value;
}
