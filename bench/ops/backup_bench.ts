/**
 * The backup half of the operations benchmark (bench/ops/main.ts runs it; alone:
 * `deno run -A bench/ops/backup_bench.ts [--quick] [--backup-mb=N]`):
 *
 * 1. a source of a realistic size (BACKUP_SOURCE_MB, 512 MB of documents by default, so that the
 *    fixed costs of a backup — pin, listing, worker start, manifest — do not dominate): the W2
 *    documents of the engine bench (200,000, 20,000 with --quick; the `status` index) that W6's
 *    readers read, and a second store of 4 KiB binary documents up to the size, batches of 1,000,
 *    closed (flushed to the tree and value log) and reopened;
 * 2. online backups to .tar (the in-process pin the scheduler's backup task takes) with nothing else
 *    running: MB/s;
 * 3. W6 as bench/peers/runner.ts runs it (8 durable writers, one document per commit, beside 8
 *    readers of random W2 documents): writes/s and write latency alone, then while online
 *    backups run back to back, in alternating rounds; the backups' MB/s meanwhile; the slowdown;
 * 4. how long each pin held writes (its one synchronous turn, FilePin.turnMs), the largest seen;
 * 5. an offline backup of the closed directory and `verify` of it.
 * Every backup's target is removed at once; the caller removes `dir`. The page cache holds most of
 * the source (it was just written), so a backup's reads are mostly memory copies and its rate is the
 * target disk's: every backup syncs what it writes (every 8 MiB and at the end).
 */
import { Binary, BSON } from "bson";
import { batch, openDatabase, parseKey, Store, type WriteOp } from "../../engine/mod.ts";
import { backupDirectory, backupSource, databaseSource, verifyBackup } from "../../host/ops/mod.ts";
import { flag, loadAverage, percentile } from "../lib/run_facts.ts";
import { keyOf, makeItem, makeItems } from "../peers/lib/docs.ts";
import planckPeer from "../peers/peers/planck.ts";

/** Source size in MB (--backup-mb=N). */
export const BACKUP_SOURCE_MB = 512;
/** The binary field of a `blobs` document. */
const BLOB_BYTES = 4 * 1024;
/** Documents per commit while the source is built. */
const BATCH = 1_000;
const W6_WRITERS = 8;
const W6_READERS = 8;
/** W6 writers' keys start here (bench/peers/runner.ts W6_BASE). */
const W6_BASE = 10_000_000;

export interface BackupFigures {
  sourceBytes: number;
  sourceDocs: number;
  buildSec: number;
  aloneMBps: number[];
  duringMBps: number;
  duringBackups: number;
  w6Alone: number;
  w6During: number;
  w6P99Alone: number;
  w6P99During: number;
  w6MaxAlone: number;
  w6MaxDuring: number;
  pauseMsMax: number;
  pauseMsMedian: number;
  offlineMBps: number;
  verifyMBps: number;
  loads: string[];
}

const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Fills `dir`: the W2 documents W6's readers read (store `docs`, `status` index, as the engine bench
 * loads them), then store `blobs` with documents of a 4 KiB binary field until the documents total
 * about `mb` MB. Returns the count of W2 documents.
 */
export async function buildSource(dir: string, mb: number, w2Docs: number): Promise<number> {
  const peer = planckPeer();
  await peer.open(dir);
  let bytes = 0;
  for (let at = 0; at < w2Docs; at += BATCH) {
    const items = makeItems(at, Math.min(BATCH, w2Docs - at));
    bytes += items.reduce((sum, item) => sum + item.bson.length, 0);
    await peer.putBatch(items);
  }
  await peer.close();
  const db = await openDatabase(dir);
  await db.createStore("blobs");
  const random = new Uint8Array(1 << 20);
  for (let i = 0; i < random.length; i += 65536) crypto.getRandomValues(random.subarray(i, i + 65536));
  for (let i = 0; bytes < mb * 1e6;) {
    const ops: WriteOp[] = [];
    for (let j = 0; j < BATCH; j++, i++) {
      const at = (i * 7919) % (random.length - BLOB_BYTES);
      const doc = BSON.serialize({
        i,
        at: new Date(),
        blob: new Binary(random.subarray(at, at + BLOB_BYTES)),
      });
      bytes += doc.length;
      ops.push({ op: "put", store: "blobs", key: db.newKey(), doc });
    }
    await batch(db, ops);
  }
  await db.close(); // flushes: the source is the tree, the value log and what the WAL keeps
  return w2Docs;
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    total += entry.isDirectory ? await sizeOf(path) : (await Deno.stat(path)).size;
  }
  return total;
}

type Db = Awaited<ReturnType<typeof openDatabase>>;

/** W6 for `ms`: writes/s and the write latencies (ms, sorted). `next` keeps W6 keys unique across rounds. */
async function w6(db: Db, ms: number, sourceDocs: number, next: { i: number }) {
  const storeId = db.storeInfo("docs").id;
  const docs = new Store(db, "docs");
  const deadline = performance.now() + ms;
  const latencies: number[] = [];
  let writes = 0;
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const started = performance.now();
  const writer = async () => {
    while (performance.now() < deadline) {
      const item = makeItem(W6_BASE + next.i++);
      const t = performance.now();
      await docs.put(parseKey(item.key), item.bson);
      latencies.push(performance.now() - t);
      writes++;
      await yieldLoop();
    }
  };
  const reader = async () => {
    while (performance.now() < deadline) {
      for (let j = 0; j < 16; j++) db.read(storeId, parseKey(keyOf(Math.floor(random() * sourceDocs))));
      await yieldLoop();
    }
  };
  await Promise.all([
    ...Array.from({ length: W6_WRITERS }, writer),
    ...Array.from({ length: W6_READERS }, reader),
  ]);
  const sec = (performance.now() - started) / 1000;
  return { perSec: writes / sec, latencies: latencies.sort((a, b) => a - b) };
}

/** One online backup of `db` to a .tar under `scratch`, removed after: MB/s and the pin's pause. */
async function onlineBackup(db: Db, scratch: string, n: number) {
  const target = `${scratch}/online-${n}.tar`;
  const started = performance.now();
  const source = await databaseSource(db);
  const pauseMs = source.pauseMs ?? NaN;
  const manifest = await backupSource(source, target, { quiet: true });
  const sec = (performance.now() - started) / 1000;
  await Deno.remove(target);
  const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  return { bytes, sec, pauseMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function backupBench(dir: string, quick: boolean): Promise<BackupFigures> {
  const mb = Number(flag("backup-mb") ?? BACKUP_SOURCE_MB);
  const scratch = `${dir}-backups`;
  await Deno.mkdir(scratch, { recursive: true });
  const loads = [loadAverage()];
  try {
    const buildStarted = performance.now();
    const sourceDocs = await buildSource(dir, mb, quick ? 20_000 : 200_000);
    const buildSec = (performance.now() - buildStarted) / 1000;
    const db = await openDatabase(dir);
    const pauses: number[] = [];
    const aloneMBps: number[] = [];
    let duringBytes = 0;
    let duringSec = 0;
    let duringBackups = 0;
    let n = 0;
    const alone = { writes: 0, sec: 0, latencies: [] as number[] };
    const during = { writes: 0, sec: 0, latencies: [] as number[] };
    try {
      for (let i = 0; i < (quick ? 1 : 2); i++) {
        const backup = await onlineBackup(db, scratch, n++);
        aloneMBps.push(backup.bytes / 1e6 / backup.sec);
        pauses.push(backup.pauseMs);
      }
      loads.push(loadAverage());
      const roundMs = quick ? 5_000 : 10_000;
      const next = { i: 0 };
      for (let round = 0; round < (quick ? 1 : 2); round++) {
        const a = await w6(db, roundMs, sourceDocs, next);
        alone.writes += a.perSec * roundMs / 1000;
        alone.sec += roundMs / 1000;
        alone.latencies.push(...a.latencies);
        let running = true;
        const backups = (async () => {
          while (running) {
            const backup = await onlineBackup(db, scratch, n++);
            duringBytes += backup.bytes;
            duringSec += backup.sec;
            duringBackups++;
            pauses.push(backup.pauseMs);
          }
        })();
        const d = await w6(db, roundMs, sourceDocs, next);
        running = false;
        await backups;
        during.writes += d.perSec * roundMs / 1000;
        during.sec += roundMs / 1000;
        during.latencies.push(...d.latencies);
        loads.push(loadAverage());
      }
    } finally {
      await db.close();
    }
    alone.latencies.sort((a, b) => a - b);
    during.latencies.sort((a, b) => a - b);
    const sourceBytes = await sizeOf(dir);
    let offlineBytes = 0;
    const offlineStarted = performance.now();
    const manifest = await backupDirectory(dir, `${scratch}/offline.tar`, { quiet: true });
    offlineBytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
    const offlineSec = (performance.now() - offlineStarted) / 1000;
    const verifyStarted = performance.now();
    await verifyBackup(`${scratch}/offline.tar`, { quiet: true });
    const verifySec = (performance.now() - verifyStarted) / 1000;
    loads.push(loadAverage());
    return {
      sourceBytes,
      sourceDocs,
      buildSec,
      aloneMBps,
      duringMBps: duringBytes / 1e6 / duringSec,
      duringBackups,
      w6Alone: alone.writes / alone.sec,
      w6During: during.writes / during.sec,
      w6P99Alone: percentile(alone.latencies, 0.99),
      w6P99During: percentile(during.latencies, 0.99),
      w6MaxAlone: alone.latencies.at(-1) ?? NaN,
      w6MaxDuring: during.latencies.at(-1) ?? NaN,
      pauseMsMax: Math.max(...pauses),
      pauseMsMedian: median(pauses),
      offlineMBps: offlineBytes / 1e6 / offlineSec,
      verifyMBps: offlineBytes / 1e6 / verifySec,
      loads,
    };
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

/** The figures as markdown lines. */
export function renderBackup(b: BackupFigures, targetMBps: number, slowdownMax: number): string[] {
  const f = (x: number) => Math.round(x).toLocaleString("en-US");
  const slowdown = 1 - b.w6During / b.w6Alone;
  const best = Math.max(...b.aloneMBps);
  const ok = (pass: boolean) => pass ? "**PASS**" : "**FAIL**";
  return [
    `#### Backup (source ${(b.sourceBytes / 1e6).toFixed(0)} MB on disk: ${
      f(b.sourceDocs)
    } W2 documents and 4 KiB blobs, built in ${b.buildSec.toFixed(1)} s; load averages ${
      b.loads.join(" → ")
    })`,
    "",
    "| measure | value |",
    "| --- | ---: |",
    `| online backup to .tar, nothing else running, MB/s (each run) | ${
      b.aloneMBps.map((x) => x.toFixed(0)).join(" / ")
    } |`,
    `| online backup to .tar while W6 runs, MB/s (${b.duringBackups} backups) | ${b.duringMBps.toFixed(0)} |`,
    `| W6 durable writes/s (${W6_WRITERS} writers + ${W6_READERS} readers): alone / during backups | ${
      f(b.w6Alone)
    } / ${f(b.w6During)} |`,
    `| W6 writes during ÷ alone | ${(b.w6During / b.w6Alone).toFixed(2)} (${
      (100 * slowdown).toFixed(0)
    }% slower) |`,
    `| W6 write p99 / max ms: alone / during | ${b.w6P99Alone.toFixed(1)} / ${b.w6MaxAlone.toFixed(0)} — ${
      b.w6P99During.toFixed(1)
    } / ${b.w6MaxDuring.toFixed(0)} |`,
    `| writes held by the pin (its synchronous turn), ms: median / max | ${b.pauseMsMedian.toFixed(2)} / ${
      b.pauseMsMax.toFixed(2)
    } |`,
    `| offline backup to .tar (open, pin, count, copy + SHA-256), MB/s | ${b.offlineMBps.toFixed(0)} |`,
    `| verify (SHA-256, scratch restore, open, count), MB/s | ${b.verifyMBps.toFixed(0)} |`,
    "",
    `Targets: online backup ≥ ${targetMBps} MB/s ${ok(best >= targetMBps)} (best alone ${
      best.toFixed(0)
    }, during W6 ${b.duringMBps.toFixed(0)}); W6 slowed ≤ ${100 * slowdownMax}% ${
      ok(slowdown <= slowdownMax)
    } (${(100 * slowdown).toFixed(0)}%).`,
  ];
}

if (import.meta.main) {
  const dir = new URL(`../.data/ops-backup-${Deno.pid}`, import.meta.url).pathname;
  try {
    const figures = await backupBench(dir, Deno.args.includes("--quick"));
    console.log(renderBackup(figures, 200, 0.2).join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
