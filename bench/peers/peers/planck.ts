// Planck's own engine (../../../engine/mod.ts), driven through its public API like any peer.
// One database directory, one store "docs"; a document is the raw BSON bytes under its u128 key
// (16 bytes -> 32 hex digits with parseKey). Writes go through the WAL with group commit and
// resolve after the fdatasync that covers them (durability "sync", the default).
// The `status` index is a real secondary index (db.createIndex): every write maintains it in the
// same atomic group, as every other peer does; W5 reads its entries (count) and the documents
// they name (fetch).
import { batch, type Database, openDatabase, parseKey, Store, type WriteOp } from "../../../engine/mod.ts";
import { bytesToLatin1 } from "../../../engine/indexes/indexes.ts";
import { indexKeyBounds } from "../../../engine/query/index_bounds.ts";
import type { Item, Peer, ScanResult, Status } from "../lib/peer.ts";

const STORE_NAME = "docs";

class PlanckPeer implements Peer {
  readonly name = "planck";
  readonly config =
    "Planck engine (this repo): WAL + group commit (fdatasync per commit group), memtable flushed to " +
    "value log + B+tree; raw BSON under the hex key via Store.put / batch(); secondary index on status " +
    "(db.createIndex) maintained in the same atomic group; W5 reads the index entries";
  readonly durability = "fsync" as const;
  #db!: Database;
  #docs!: Store;
  #storeId = 0;
  #indexId = 0;

  async open(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    this.#db = await openDatabase(dir);
    await this.#db.createStore(STORE_NAME, { ifNotExists: true });
    this.#docs = new Store(this.#db, STORE_NAME);
    this.#storeId = this.#db.storeInfo(STORE_NAME).id;
    await this.#db.createIndex("docs_status", STORE_NAME, [{ path: "status", direction: "asc" }], {
      ifNotExists: true,
    });
    this.#indexId = this.#db.indexInfo("docs_status")!.id;
  }
  async putDurable(it: Item): Promise<void> {
    await this.#docs.put(parseKey(it.key), it.bson);
  }
  async putBatch(items: Item[]): Promise<void> {
    const ops: WriteOp[] = items.map((it) => ({
      op: "put",
      store: STORE_NAME,
      key: parseKey(it.key),
      doc: it.bson,
    }));
    await batch(this.#db, ops);
  }
  get(key: Uint8Array): Uint8Array | undefined {
    return this.#db.read(this.#storeId, parseKey(key));
  }
  scan(start: Uint8Array, limit: number): ScanResult {
    let count = 0, bytes = 0;
    for (
      const [, value] of this.#db.scan(this.#storeId, {
        from: parseKey(start),
        limit,
      })
    ) {
      count++;
      bytes += value.length;
    }
    return { count, bytes };
  }
  /** status == value through the secondary index: count its entries (subtree counts), or read each document. */
  queryEq(value: Status, mode: "count" | "fetch"): ScanResult {
    const [range] = indexKeyBounds(["asc"], [{ op: "eq", value }]).ranges;
    const bounds = { from: bytesToLatin1(range.low), to: bytesToLatin1(range.high) };
    if (mode === "count") return { count: this.#db.countIndexEntries(this.#indexId, bounds), bytes: 0 };
    let count = 0, bytes = 0;
    for (const doc of this.#db.indexDocumentBytes(this.#indexId, this.#storeId, bounds)) {
      count++;
      bytes += doc.length;
    }
    return { count, bytes };
  }
  /** fdatasyncs the WAL has run (bench/engine reports writes per fsync). */
  syncs(): number {
    return this.#db.stats().syncs;
  }
  async close(): Promise<void> {
    await this.#db.close();
  }
}

export default (): Peer => new PlanckPeer();
