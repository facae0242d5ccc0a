/**
 * LMDB (npm:lmdb) as a query-benchmark target: one environment with three named DBs written in
 * one transaction per chunk — docs (16-byte key -> BSON), a dupSort status index (status -> key,
 * as the W5 peer), and a hand-made amount index whose keys are the order-preserving 8-byte
 * encoding of the amount followed by the document key (so ties come out in key order). LMDB has
 * no query language: the count reads the dupSort count, the range walks the amount index, and the
 * top-K scans every document, decodes it and keeps a TOP_LIMIT heap by hand. Every returned
 * document is decoded with BSON.deserialize, as Planck decodes its documents.
 */
import { type Database, open, type RootDatabase } from "lmdb";
import { BSON, type Document } from "bson";
import {
  hexKey,
  type Item,
  type QueryTarget,
  RANGE_LIMIT,
  type Status,
  TOP_LIMIT,
  TOP_PREFIX,
} from "./target.ts";

const FLIP_SIGN = 0x80;

/** 8 bytes whose byte order is the numeric order of `n` (IEEE 754, sign-flipped). */
export function encodeNumber(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, n);
  if ((out[0] & FLIP_SIGN) === 0) out[0] |= FLIP_SIGN;
  else for (let i = 0; i < 8; i++) out[i] = ~out[i] & 0xff;
  return out;
}

function amountKey(amount: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + key.length);
  out.set(encodeNumber(amount));
  out.set(key, 8);
  return out;
}

/** A top-K by created desc, ties by key asc, kept as a sorted array (K is small). */
class NewestFirst {
  readonly rows: { created: number; key: string }[] = [];
  offer(created: number, key: string): void {
    const rows = this.rows;
    if (rows.length === TOP_LIMIT) {
      const last = rows[rows.length - 1];
      if (created < last.created || (created === last.created && key > last.key)) return;
      rows.pop();
    }
    let i = rows.length;
    while (
      i > 0 && (rows[i - 1].created < created || (rows[i - 1].created === created && rows[i - 1].key > key))
    ) {
      i--;
    }
    rows.splice(i, 0, { created, key });
  }
}

class LmdbTarget implements QueryTarget {
  readonly name = "LMDB";
  readonly config = "npm:lmdb 3.5.6 defaults; docs DB + dupSort status index + hand-made amount index " +
    "(f64 key ++ doc key) in one txn per chunk; top-K by a hand-written scan + heap";
  #env!: RootDatabase;
  #docs!: Database<Uint8Array, Uint8Array>;
  #status!: Database<Uint8Array, string>;
  #amount!: Database<Uint8Array, Uint8Array>;

  async open(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    this.#env = open({ path: `${dir}/lmdb`, maxDbs: 4 });
    this.#docs = this.#env.openDB<Uint8Array, Uint8Array>("docs", {
      keyEncoding: "binary",
      encoding: "binary",
    });
    this.#status = this.#env.openDB<Uint8Array, string>("status", { dupSort: true, encoding: "binary" });
    this.#amount = this.#env.openDB<Uint8Array, Uint8Array>("amount", {
      keyEncoding: "binary",
      encoding: "binary",
    });
  }
  async load(items: readonly Item[]): Promise<void> {
    const empty = new Uint8Array(1);
    await this.#env.transaction(() => {
      for (const it of items) {
        this.#docs.put(it.key, it.bson);
        this.#status.put(it.status, it.key);
        this.#amount.put(amountKey(it.doc.amount, it.key), empty);
      }
    });
    await this.#env.flushed;
  }
  settle(): Promise<void> {
    return Promise.resolve();
  }
  count(status: Status): Promise<number> {
    return Promise.resolve(this.#status.getValuesCount(status));
  }
  fetch(status: Status): Promise<number> {
    // The decoded documents are held until the end, as a query's result set is (executeQuery returns one).
    const docs: unknown[] = [];
    for (const key of this.#status.getValues(status)) {
      const bytes = this.#docs.getBinaryFast(key); // reused buffer: decoded before the next read
      if (bytes !== undefined) docs.push(BSON.deserialize(bytes));
    }
    return Promise.resolve(docs.length);
  }
  range(low: number, high: number): Promise<string[]> {
    const keys: string[] = [];
    const entries = this.#amount.getKeys({
      start: encodeNumber(low),
      end: encodeNumber(high),
      limit: RANGE_LIMIT,
    });
    for (const entry of entries) {
      const key = (entry as Uint8Array).subarray(8);
      const bytes = this.#docs.getBinaryFast(key);
      if (bytes === undefined) continue;
      BSON.deserialize(bytes);
      keys.push(hexKey(key));
    }
    return Promise.resolve(keys);
  }
  topK(): Promise<string[]> {
    const top = new NewestFirst();
    for (const { key, value } of this.#docs.getRange({})) {
      const doc: Document = BSON.deserialize(value);
      if (typeof doc.user === "string" && doc.user.startsWith(TOP_PREFIX)) {
        top.offer((doc.created as Date).getTime(), hexKey(key));
      }
    }
    return Promise.resolve(top.rows.map((row) => row.key));
  }
  async close(): Promise<void> {
    await this.#env.close();
  }
}

/** A fresh LMDB target. */
export function lmdbTarget(): QueryTarget {
  return new LmdbTarget();
}
