/**
 * Operations benchmark, Planck beside node:sqlite doing the same work in the same run:
 *
 *   deno run -A bench/ops/main.ts [--quick] [--docs=N]
 *
 * 1. W2 exactly as the engine bench runs it (bench/peers/runner.ts: the planck peer, the W2
 *    documents of bench/peers/lib/docs.ts, batches of 1,000 with one durable commit each, a `status`
 *    index maintained in the same group; docs/s over the time spent in the commits);
 * 2. `planck export` of that store to JSON lines (exportRows, what the CLI runs);
 * 3. `planck import` of the file as the CLI does it — validation of every record first, then the
 *    atomic batches — into a new store with the same index, so it is W2's work plus decoding;
 * 4. SQLite (WAL, synchronous=FULL): the same documents as JSON text, batched inserts of 1,000 per
 *    transaction, a dump to JSON lines, a load of it.
 * 5. the backup benchmark (bench/ops/backup_bench.ts): a 512 MB source, online backups alone, W6
 *    (8 durable writers beside 8 readers) alone and while backups run back to back, how long the
 *    pin held writes, an offline backup and verify.
 * It prints markdown tables with the ratios and the issue's targets; the directory is removed.
 * Numbers from a loaded machine are noisy (the load average is printed).
 */
import { DatabaseSync } from "node:sqlite";
import { BSON } from "bson";
import { backupBench, renderBackup } from "./backup_bench.ts";
import { openDatabase } from "../../engine/db/database.ts";
import {
  databaseRows,
  databaseSink,
  exportRows,
  IMPORT_BATCH_RECORDS,
  importRecords,
  jsonlRecords,
  validateRecords,
} from "../../host/ops/mod.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";
import { makeItems } from "../peers/lib/docs.ts";
import planckPeer from "../peers/peers/planck.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA_DIR = `${ROOT}bench/.data/ops-${Deno.pid}`;
/** Documents per commit in W2, the import and SQLite's loads. */
const BATCH = 1_000;
/** Targets of issue #16. */
const BACKUP_MBPS_TARGET = 200;
const W6_SLOWDOWN_MAX = 0.2;

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function* fileLines(path: string): AsyncGenerator<string> {
  const text = await Deno.readTextFile(path);
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\n", at);
    yield text.slice(at, end < 0 ? text.length : end);
    at = end < 0 ? text.length : end + 1;
  }
}

/** W2 as bench/peers/runner.ts runs it, through the planck peer: docs/s over the commits' time. */
async function w2(dir: string, docs: number): Promise<number> {
  const peer = planckPeer();
  await peer.open(dir);
  let busy = 0;
  for (let loaded = 0; loaded < docs; loaded += BATCH) {
    const items = makeItems(1_000_000 + loaded, Math.min(BATCH, docs - loaded));
    const started = performance.now();
    await peer.putBatch(items);
    busy += performance.now() - started;
  }
  await peer.close();
  return docs / (busy / 1000);
}

async function planck(docs: number): Promise<Record<string, number>> {
  const dir = `${DATA_DIR}/planck`;
  const w2DocsPerSec = await w2(dir, docs);
  const db = await openDatabase(dir);
  const out = `${DATA_DIR}/items.jsonl`;
  const exportSec = await timed(async () => {
    using file = await Deno.open(out, { write: true, create: true, truncate: true });
    const writer = file.writable.getWriter();
    await exportRows(databaseRows(db, "docs"), writer);
    await writer.close();
  });
  // As cli/import.ts runs it: every record validated (decoded) first, then the batches from what
  // the validation kept; once at the import's own batch size, once at W2's.
  const importInto = async (store: string, batchRecords: number) => {
    await db.createStore(store);
    await db.createIndex(`${store}_status`, store, [{ path: "status", direction: "asc" }]);
    return await timed(async () => {
      const { badCount, kept } = await validateRecords(jsonlRecords(fileLines(out)), { keep: true });
      if (badCount > 0) throw new Error(`${badCount} bad records`);
      await importRecords(kept ?? jsonlRecords(fileLines(out)), databaseSink(db), {
        store,
        keys: "keep",
        batchRecords,
      });
    });
  };
  const importSec = await importInto("copy", IMPORT_BATCH_RECORDS);
  const import1000Sec = await importInto("copy1000", BATCH);
  await db.close();
  return {
    w2DocsPerSec,
    exportDocsPerSec: docs / exportSec,
    importDocsPerSec: docs / importSec,
    import1000DocsPerSec: docs / import1000Sec,
  };
}

async function sqlite(docs: number): Promise<Record<string, number>> {
  const db = new DatabaseSync(`${DATA_DIR}/sqlite.db`);
  db.exec(
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE items (key TEXT PRIMARY KEY, doc TEXT);",
  );
  const insert = db.prepare("INSERT INTO items (key, doc) VALUES (?, ?)");
  let busy = 0;
  for (let at = 0; at < docs; at += BATCH) {
    const rows = makeItems(1_000_000 + at, Math.min(BATCH, docs - at)).map((item) => [
      Array.from(item.key, (b) => b.toString(16).padStart(2, "0")).join(""),
      JSON.stringify(BSON.deserialize(item.bson)),
    ]);
    const started = performance.now();
    db.exec("BEGIN");
    for (const [key, doc] of rows) insert.run(key, doc);
    db.exec("COMMIT");
    busy += performance.now() - started;
  }
  const out = `${DATA_DIR}/sqlite.jsonl`;
  const exportSec = await timed(async () => {
    using file = await Deno.open(out, { write: true, create: true, truncate: true });
    const writer = file.writable.getWriter();
    const encoder = new TextEncoder();
    let chunk = "";
    for (const row of db.prepare("SELECT key, doc FROM items ORDER BY key").iterate()) {
      chunk += `{"key":${JSON.stringify(row.key)},"doc":${row.doc}}\n`;
      if (chunk.length > 1 << 20) {
        await writer.write(encoder.encode(chunk));
        chunk = "";
      }
    }
    await writer.write(encoder.encode(chunk));
    await writer.close();
  });
  db.exec("CREATE TABLE copy (key TEXT PRIMARY KEY, doc TEXT)");
  const load = db.prepare("INSERT INTO copy (key, doc) VALUES (?, ?)");
  const importSec = await timed(async () => {
    let pending = 0;
    db.exec("BEGIN");
    for await (const line of fileLines(out)) {
      if (line === "") continue;
      const record = JSON.parse(line);
      load.run(record.key, JSON.stringify(record.doc));
      if (++pending === BATCH) {
        db.exec("COMMIT; BEGIN");
        pending = 0;
      }
    }
    db.exec("COMMIT");
  });
  db.close();
  return {
    w2DocsPerSec: docs / (busy / 1000),
    exportDocsPerSec: docs / exportSec,
    importDocsPerSec: docs / importSec,
  };
}

function pass(ok: boolean): string {
  return ok ? "**PASS**" : "**FAIL**";
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const docs = Number(flag("docs") ?? (quick ? 20_000 : 200_000));
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const load = loadAverage();
  try {
    const p = await planck(docs);
    const s = await sqlite(docs);
    await Deno.remove(`${DATA_DIR}/planck`, { recursive: true }); // room for the backup source
    const b = await backupBench(`${DATA_DIR}/backup`, quick);
    const f = (x: number) => Math.round(x).toLocaleString("en-US");
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log([
      `### Operations (${
        docs.toLocaleString("en-US")
      } W2 documents; load average before ${load}, after ${loadAverage()})`,
      "",
      "| work | Planck | node:sqlite, same work | Planck ÷ SQLite |",
      "| --- | ---: | ---: | ---: |",
      `| W2: batched inserts (${BATCH}/commit), docs/s | ${f(p.w2DocsPerSec)} | ${f(s.w2DocsPerSec)} | ${
        ratio(p.w2DocsPerSec, s.w2DocsPerSec)
      } |`,
      `| export to JSON lines, docs/s | ${f(p.exportDocsPerSec)} | ${f(s.exportDocsPerSec)} | ${
        ratio(p.exportDocsPerSec, s.exportDocsPerSec)
      } |`,
      `| import JSON lines (validate all, then batches of ${IMPORT_BATCH_RECORDS}), docs/s | ${
        f(p.importDocsPerSec)
      } | ${f(s.importDocsPerSec)} (batches of ${BATCH}) | ${
        ratio(p.importDocsPerSec, s.importDocsPerSec)
      } |`,
      `| import JSON lines (validate all, then batches of ${BATCH}, W2's size), docs/s | ${
        f(p.import1000DocsPerSec)
      } | ${f(s.importDocsPerSec)} | ${ratio(p.import1000DocsPerSec, s.importDocsPerSec)} |`,
      "",
      `Target: import ≥ W2 ${pass(p.importDocsPerSec >= p.w2DocsPerSec)} (import ÷ W2 = ${
        ratio(p.importDocsPerSec, p.w2DocsPerSec)
      }; at W2's batch size ${
        ratio(p.import1000DocsPerSec, p.w2DocsPerSec)
      }). Planck export/import carry canonical extended JSON (typed values); SQLite's rows are plain JSON text.`,
      "",
      ...renderBackup(b, BACKUP_MBPS_TARGET, W6_SLOWDOWN_MAX),
    ].join("\n"));
  } finally {
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
