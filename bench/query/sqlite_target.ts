/**
 * SQLite (node:sqlite) as a query-benchmark target: a WITHOUT ROWID table keyed by the 16-byte
 * key, the BSON blob plus the columns a SQL user would extract (status, amount, created as epoch
 * ms, user), ordinary indexes on status and amount (entries end with the primary key, so ties
 * come out in key order, as in Planck). WAL, synchronous=FULL, 64 MiB cache, checkpointed after
 * loading. Rows are decoded with BSON.deserialize, as Planck decodes its documents.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { BSON } from "bson";
import {
  hexKey,
  type Item,
  type QueryTarget,
  RANGE_LIMIT,
  type Status,
  TOP_LIMIT,
  TOP_PREFIX,
} from "./target.ts";

interface Row {
  k: Uint8Array;
  doc: Uint8Array;
}

function version(): string {
  const db = new DatabaseSync(":memory:");
  try {
    return (db.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
  } finally {
    db.close();
  }
}

/** Decodes every row and returns the keys. */
/** The keys of the rows, each row's document decoded and held (a result set, as executeQuery returns). */
function decodedKeys(rows: Iterable<unknown>): string[] {
  const keys: string[] = [];
  const docs: unknown[] = [];
  for (const row of rows as Iterable<Row>) {
    docs.push(BSON.deserialize(row.doc));
    keys.push(hexKey(row.k));
  }
  return docs.length === keys.length ? keys : [];
}

class SqliteTarget implements QueryTarget {
  readonly name = "SQLite";
  readonly config = `node:sqlite ${version()}, WAL, synchronous=FULL, cache 64 MiB; WITHOUT ROWID table, ` +
    "extracted status/amount/created/user columns + BSON blob; indexes on status and amount";
  #db!: DatabaseSync;
  #insert!: StatementSync;
  #count!: StatementSync;
  #fetch!: StatementSync;
  #range!: StatementSync;
  #top!: StatementSync;

  async open(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    this.#db = new DatabaseSync(`${dir}/docs.sqlite`);
    this.#db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
      PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;
      CREATE TABLE docs(k BLOB PRIMARY KEY, status TEXT NOT NULL, amount REAL NOT NULL,
        created INTEGER NOT NULL, user TEXT NOT NULL, doc BLOB NOT NULL) WITHOUT ROWID;
      CREATE INDEX docs_status ON docs(status);
      CREATE INDEX docs_amount ON docs(amount);`);
    this.#insert = this.#db.prepare(
      "INSERT INTO docs(k, status, amount, created, user, doc) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#count = this.#db.prepare("SELECT count(*) AS n FROM docs WHERE status = ?");
    this.#fetch = this.#db.prepare("SELECT k, doc FROM docs WHERE status = ?");
    this.#range = this.#db.prepare(
      `SELECT k, doc FROM docs WHERE amount >= ? AND amount < ? ORDER BY amount LIMIT ${RANGE_LIMIT}`,
    );
    this.#top = this.#db.prepare(
      `SELECT k, doc FROM docs WHERE user GLOB ? ORDER BY created DESC LIMIT ${TOP_LIMIT}`,
    );
  }
  load(items: readonly Item[]): Promise<void> {
    this.#db.exec("BEGIN");
    try {
      for (const it of items) {
        const d = it.doc;
        this.#insert.run(it.key, d.status, d.amount, d.created.getTime(), d.user, it.bson);
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
    return Promise.resolve();
  }
  settle(): Promise<void> {
    this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;");
    return Promise.resolve();
  }
  count(status: Status): Promise<number> {
    return Promise.resolve(Number((this.#count.get(status) as { n: number }).n));
  }
  fetch(status: Status): Promise<number> {
    return Promise.resolve(decodedKeys(this.#fetch.iterate(status)).length);
  }
  range(low: number, high: number): Promise<string[]> {
    return Promise.resolve(decodedKeys(this.#range.iterate(low, high)));
  }
  topK(): Promise<string[]> {
    return Promise.resolve(decodedKeys(this.#top.iterate(`${TOP_PREFIX}*`)));
  }
  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

/** A fresh SQLite target. */
export function sqliteTarget(): QueryTarget {
  return new SqliteTarget();
}
