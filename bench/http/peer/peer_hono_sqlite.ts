/**
 * The HTTP peer (adapted from the seed HTTP peer, Hono + node:sqlite): what a Deno user
 * would build instead of Planck — Hono 4 on Deno.serve with `node:sqlite` in the same process,
 * serving the benchmark's three routes over the same data set.
 *
 * ```sh
 * deno run -A bench/http/peer/peer_hono_sqlite.ts --db=/tmp/x/peer.db --jsonl=<orders-N.jsonl>
 * ```
 *
 * Start-up: `--db` (and its -wal/-shm) is replaced by a fresh database loaded from `--jsonl` in one
 * transaction, so every start serves the same rows. Table `items(id TEXT PRIMARY KEY, doc TEXT,
 * status TEXT, created INTEGER)`; `doc` is the JSON document, `status`/`created` are copied out of
 * it so the list route uses the index `items_status_created(status, created DESC)`. Prints
 * `READY http://127.0.0.1:<port> key=value…` once listening.
 *
 * Routes (the markup is byte-for-byte what bench/http/service/ renders):
 * - `GET /item/:id`          one row → `<article>` fragment (escaped), 404 when absent;
 * - `GET /list?status=X`     the 20 newest rows with that status → 20 `<article>`s;
 * - `POST /item` (form)      one autocommit insert, WAL with synchronous=FULL (fsync per commit,
 *                            `--sync=normal` to relax) → 201 `<li id="item-ID">`.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
// deno-lint-ignore no-import-prefix
import { Hono } from "npm:hono@4.13.19";
// deno-lint-ignore no-import-prefix
import { html } from "npm:hono@4.13.19/html";
import { STATUSES } from "../dataset.ts";

/** One item document (the `doc` column). */
interface Item {
  user: string;
  status: string;
  amount: number;
  created: number;
  tags: string[];
  note: string;
}

type Row = { id: string; doc: string };

/** SQLite page cache, MiB (the whole data set fits). */
const CACHE_MIB = 64;
/** Documents per list page. */
const LIST_LIMIT = 20;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS items (
    id      TEXT PRIMARY KEY,
    doc     TEXT NOT NULL,
    status  TEXT NOT NULL,
    created INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS items_status_created ON items (status, created DESC);`;

/** Creates `path` afresh from the JSONL data set and opens it: WAL, synchronous FULL or NORMAL. */
async function loadDb(path: string, jsonl: string, sync: string): Promise<DatabaseSync> {
  for (const suffix of ["", "-wal", "-shm"]) await Deno.remove(path + suffix).catch(() => {});
  const db = new DatabaseSync(path);
  db.exec(
    `PRAGMA journal_mode=WAL; PRAGMA synchronous=${sync === "normal" ? "NORMAL" : "FULL"};
    PRAGMA busy_timeout=5000; PRAGMA cache_size=-${CACHE_MIB * 1024}; PRAGMA temp_store=MEMORY;` + SCHEMA,
  );
  const insert = db.prepare("INSERT INTO items (id, doc, status, created) VALUES (?, ?, ?, ?)");
  db.exec("BEGIN");
  for (const line of (await Deno.readTextFile(jsonl)).split("\n")) {
    if (!line) continue;
    const { id, ...doc } = JSON.parse(line) as Item & { id: string };
    insert.run(id, JSON.stringify(doc), doc.status, doc.created);
  }
  db.exec("COMMIT; PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;");
  db.prepare("SELECT sum(length(doc)) FROM items").get(); // warm the page cache
  return db;
}

const renderItem = (id: string, o: Item) =>
  html`
    <article id="item-${id}">
      <h2>${o.user}</h2>
      <p>${o.status} · ${o.amount.toFixed(2)}</p>
      <ul>${o.tags.map((t) => html`<li>${t}</li>`)}</ul>
    </article>
  `;

function newId(): string {
  let s = "";
  for (const x of crypto.getRandomValues(new Uint8Array(16))) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Validates a form body into an item; null when invalid (the same rules as the Planck service). */
function toItem(b: Record<string, unknown>): Item | null {
  const user = typeof b.user === "string" ? b.user.trim() : "";
  const status = String(b.status ?? "open");
  const amount = Number(b.amount);
  const tags = String(b.tags ?? "").split(",").map((t) => t.trim()).filter((t) => t).slice(0, 8);
  const note = typeof b.note === "string" ? b.note.slice(0, 500) : "";
  if (!user || user.length > 100 || !(STATUSES as readonly string[]).includes(status)) return null;
  if (!Number.isFinite(amount) || amount < 0) return null;
  return { user, status, amount, created: Date.now(), tags, note };
}

/** The Hono app over an open items database. */
export function createApp(db: DatabaseSync): Hono {
  const getOne = db.prepare("SELECT id, doc FROM items WHERE id = ?");
  const list = db.prepare("SELECT id, doc FROM items WHERE status = ? ORDER BY created DESC LIMIT ?");
  const insert = db.prepare("INSERT INTO items (id, doc, status, created) VALUES (?, ?, ?, ?)");
  const app = new Hono();

  app.get("/item/:id", (c) => {
    const row = getOne.get(c.req.param("id")) as Row | undefined;
    if (!row) return c.html(html`<p class="error">item not found</p>`, 404);
    return c.html(renderItem(row.id, JSON.parse(row.doc)));
  });

  app.get("/list", (c) => {
    const rows = list.all(c.req.query("status") ?? "open", LIST_LIMIT) as Row[];
    return c.html(
      html`<section class="items">${rows.map((r) => renderItem(r.id, JSON.parse(r.doc)))}</section>`,
    );
  });

  app.post("/item", async (c) => {
    const item = toItem(await c.req.parseBody() as Record<string, unknown>);
    if (!item) return c.html(html`<p class="error">invalid item</p>`, 400);
    const id = newId();
    insert.run(id, JSON.stringify(item), item.status, item.created); // autocommit: fsync per commit
    return c.html(
      html`<li id="item-${id}">${item.user} · ${item.status} · ${item.amount.toFixed(2)}</li>`,
      201,
    );
  });
  return app;
}

if (import.meta.main) {
  const { values: opt } = parseArgs({
    args: Deno.args,
    options: {
      db: { type: "string" },
      jsonl: { type: "string" },
      sync: { type: "string", default: "full" },
      port: { type: "string", default: "0" },
    },
  });
  if (opt.db === undefined || opt.jsonl === undefined) {
    console.error("usage: peer_hono_sqlite.ts --db=FILE --jsonl=FILE [--sync=full|normal] [--port=N]");
    Deno.exit(2);
  }
  const started = performance.now();
  const db = await loadDb(opt.db, opt.jsonl, opt.sync);
  const one = (sql: string) => Object.values(db.prepare(sql).get() as Record<string, unknown>)[0];
  const info =
    `sqlite=${one("SELECT sqlite_version()")} sync=${one("PRAGMA synchronous") === 2 ? "FULL" : "NORMAL"}` +
    ` rows=${one("SELECT count(*) FROM items")} load_ms=${(performance.now() - started).toFixed(0)}`;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: Number(opt.port),
    onListen: ({ port }) => console.log(`READY http://127.0.0.1:${port} ${info} pid=${Deno.pid}`),
  }, createApp(db).fetch);
  Deno.addSignalListener("SIGTERM", async () => {
    await server.shutdown();
    db.close();
    Deno.exit(0);
  });
}
