// Planck's own engine (../../../engine/mod.ts), driven through its public API like any peer.
// One database directory, one store "docs"; a document is the raw BSON bytes under its u128 key
// (16 bytes -> 32 hex digits with parseKey). Writes go through the WAL with group commit and
// resolve after the fdatasync that covers them (durability "sync", the default).
// Caveats, stated in `config` so they appear beside the figures:
// - Planck has no secondary indexes yet: W1/W2/W6 write no `status` index entry (every other peer
//   does), and W5 is a full scan that decodes each document's `status` with npm:bson.
// - The engine has no memtable flush yet: every document stays in the memtable and the WAL, so a
//   reopen replays the whole WAL.
import { BSON } from "bson";
import { batch, type Database, openDatabase, parseKey, Store, type WriteOp } from "../../../engine/mod.ts";
import type { Item, Peer, ScanResult, Status } from "../lib/peer.ts";

const STORE_NAME = "docs";

class PlanckPeer implements Peer {
  readonly name = "planck";
  readonly config =
    "Planck engine (this repo): WAL + group commit, durability sync (fdatasync per commit), " +
    "raw BSON under the hex key via Store.put / batch(); NO secondary index yet: W1/W2/W6 maintain no " +
    "status index entry, W5 is a full scan decoding each doc's status with npm:bson; no memtable flush yet " +
    "(reopen replays the whole WAL)";
  readonly durability = "fsync" as const;
  #db!: Database;
  #docs!: Store;
  #storeId = 0;

  async open(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    this.#db = await openDatabase(dir);
    await this.#db.createStore(STORE_NAME, { ifNotExists: true });
    this.#docs = new Store(this.#db, STORE_NAME);
    this.#storeId = this.#db.storeInfo(STORE_NAME).id;
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
  /** No index yet: visits every document and decodes it to read `status`. */
  queryEq(value: Status, mode: "count" | "fetch"): ScanResult {
    let count = 0, bytes = 0;
    for (const [, doc] of this.#db.scan(this.#storeId)) {
      if ((BSON.deserialize(doc) as { status?: string }).status !== value) {
        continue;
      }
      count++;
      if (mode === "fetch") bytes += doc.length;
    }
    return { count, bytes };
  }
  async close(): Promise<void> {
    await this.#db.close();
  }
}

export default (): Peer => new PlanckPeer();
