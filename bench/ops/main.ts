/**
 * Operations benchmark: `planck export` / `planck import` rates (docs/s), offline backup and
 * verify (MB/s), online backup to .tar (MB/s) and the W6-style durable write rate alone and while
 * online backups run back to back, beside node:sqlite doing the same work in the same run (a table dumped to JSON
 * lines, and read back in batched transactions). Numbers from a loaded machine are noisy.
 *
 *   deno run -A bench/ops/main.ts [--quick] [--docs=N]
 *
 * Steps: 1. fill a store (and a SQLite table) with N documents under bench/.data/; 2. time export
 * to a file, import of that file into a new store, backup and verify; 3. the same dump and load in
 * SQLite; 4. remove the directory, print a markdown table.
 */
import { DatabaseSync } from "node:sqlite";
import { BSON } from "bson";
import { openDatabase } from "../../engine/db/database.ts";
import { batch } from "../../engine/db/store.ts";
import {
  backupDirectory,
  backupSource,
  databaseRows,
  databaseSink,
  databaseSource,
  exportRows,
  importLines,
  verifyBackup,
} from "../../host/ops/mod.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA_DIR = `${ROOT}bench/.data/ops-${Deno.pid}`;
/** Rows per write transaction when filling and loading. */
const FILL_BATCH = 1_000;

function doc(i: number): Record<string, unknown> {
  return {
    n: i,
    name: `customer ${i}`,
    amount: i * 1.25,
    at: new Date(1_700_000_000_000 + i),
    tags: ["a", `t${i % 17}`],
  };
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

/** Concurrent durable writers of the W6-style load during the online backup. */
const W6_WRITERS = 8;

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function planck(docs: number): Promise<Record<string, number>> {
  const dir = `${DATA_DIR}/planck`;
  const db = await openDatabase(dir, { walPreallocateBytes: 0 });
  await db.createStore("items");
  for (let at = 0; at < docs; at += FILL_BATCH) {
    const ops = Array.from({ length: Math.min(FILL_BATCH, docs - at) }, (_, i) => ({
      op: "insert" as const,
      store: "items",
      doc: BSON.serialize(doc(at + i)),
    }));
    await batch(db, ops);
  }
  const out = `${DATA_DIR}/items.jsonl`;
  const exportSec = await timed(async () => {
    using file = await Deno.open(out, { write: true, create: true, truncate: true });
    const writer = file.writable.getWriter();
    await exportRows(databaseRows(db, "items"), writer);
    await writer.close();
  });
  const importSec = await timed(() =>
    importLines(fileLines(out), databaseSink(db), { store: "copy", keys: "keep" })
  );
  await db.close();
  let bytes = 0;
  const backupSec = await timed(async () => {
    const manifest = await backupDirectory(dir, `${DATA_DIR}/backup`, { quiet: true });
    bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  });
  const verifySec = await timed(() => verifyBackup(`${DATA_DIR}/backup`, { quiet: true }));
  const online = await onlineBackup(dir);
  return {
    ...online,
    exportDocsPerSec: docs / exportSec,
    importDocsPerSec: docs / importSec,
    backupMBps: bytes / 1e6 / backupSec,
    verifyMBps: bytes / 1e6 / verifySec,
    backupBytes: bytes,
  };
}

/** W6-style writers (8 concurrent durable single-document puts) for `ms`; writes/s. */
async function writers(
  db: Awaited<ReturnType<typeof openDatabase>>,
  ms: number,
  base: number,
): Promise<number> {
  const deadline = performance.now() + ms;
  let done = 0;
  await Promise.all(Array.from({ length: W6_WRITERS }, async (_, w) => {
    for (let i = 0; performance.now() < deadline; i++) {
      await batch(db, [{
        op: "put",
        store: "w6",
        key: (base + w * 1e7 + i).toString(16).padStart(32, "0"),
        doc: BSON.serialize(doc(i)),
      }]);
      done++;
    }
  }));
  return done / (ms / 1000);
}

/** Online backup MB/s, and W6 writes/s without and while backups run back to back. */
async function onlineBackup(dir: string): Promise<Record<string, number>> {
  const db = await openDatabase(dir, { walPreallocateBytes: 0 });
  try {
    await db.createStore("w6");
    const ms = Deno.args.includes("--quick") ? 2_000 : 5_000;
    const alone = await writers(db, ms, 1);
    let bytes = 0;
    let seconds = 0;
    let running = true;
    let n = 0;
    const backups = (async () => {
      while (running) {
        const target = `${DATA_DIR}/online_${n++}.tar`;
        const start = performance.now();
        const manifest = await backupSource(await databaseSource(db), target, { quiet: true });
        seconds += (performance.now() - start) / 1000;
        bytes += manifest.files.reduce((sum, file) => sum + file.bytes, 0);
        await Deno.remove(target);
      }
    })();
    const during = await writers(db, ms, 2e9);
    running = false;
    await backups;
    return { onlineMBps: bytes / 1e6 / seconds, onlineBackups: n, w6Alone: alone, w6During: during };
  } finally {
    await db.close();
  }
}

async function sqlite(docs: number): Promise<Record<string, number>> {
  const db = new DatabaseSync(`${DATA_DIR}/sqlite.db`);
  db.exec(
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE items (key TEXT PRIMARY KEY, doc TEXT);",
  );
  const insert = db.prepare("INSERT INTO items (key, doc) VALUES (?, ?)");
  for (let at = 0; at < docs; at += FILL_BATCH) {
    db.exec("BEGIN");
    for (let i = at; i < Math.min(at + FILL_BATCH, docs); i++) {
      insert.run(String(i).padStart(32, "0"), JSON.stringify(doc(i)));
    }
    db.exec("COMMIT");
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
      if (++pending === FILL_BATCH) {
        db.exec("COMMIT; BEGIN");
        pending = 0;
      }
    }
    db.exec("COMMIT");
  });
  db.close();
  return { exportDocsPerSec: docs / exportSec, importDocsPerSec: docs / importSec };
}

async function main(): Promise<void> {
  const docs = Number(flag("docs") ?? (Deno.args.includes("--quick") ? 20_000 : 200_000));
  await Deno.mkdir(DATA_DIR, { recursive: true });
  const load = loadAverage();
  try {
    const p = await planck(docs);
    const s = await sqlite(docs);
    const f = (x: number) => Math.round(x).toLocaleString("en-US");
    console.log([
      `### Operations (${docs.toLocaleString("en-US")} documents; load average before ${load})`,
      "",
      "| work | Planck | node:sqlite, same work | Planck ÷ SQLite |",
      "| --- | ---: | ---: | ---: |",
      `| export to JSON lines, docs/s | ${f(p.exportDocsPerSec)} | ${f(s.exportDocsPerSec)} | ${
        (p.exportDocsPerSec / s.exportDocsPerSec).toFixed(2)
      } |`,
      `| import JSON lines (batches of ${FILL_BATCH}), docs/s | ${f(p.importDocsPerSec)} | ${
        f(s.importDocsPerSec)
      } | ${(p.importDocsPerSec / s.importDocsPerSec).toFixed(2)} |`,
      `| offline backup (open, pin, count, copy + SHA-256), MB/s | ${p.backupMBps.toFixed(1)} | — | — |`,
      `| verify (SHA-256, scratch restore, open, count), MB/s | ${p.verifyMBps.toFixed(1)} | — | — |`,
      `| online backup to .tar while W6 writes (pin, count, copy + SHA-256 into the tar), MB/s | ${
        p.onlineMBps.toFixed(1)
      } | — | — |`,
      `| W6 durable writes/s (${W6_WRITERS} writers): alone / during online backups | ${f(p.w6Alone)} / ${
        f(p.w6During)
      } (${(100 * (1 - p.w6During / p.w6Alone)).toFixed(0)}% slower, ${p.onlineBackups} backups) | — | — |`,
      "",
      `Backup size ${
        (p.backupBytes / 1e6).toFixed(1)
      } MB. Planck export/import carry canonical extended JSON (typed values); SQLite's rows are plain JSON text.`,
    ].join("\n"));
  } finally {
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
