/**
 * The WAL archive: segments the database removes arrive in the archive verified and in order, so
 * the archive plus the live WAL hold every LSN; a failing archive disk is reported, never fatal.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { openDatabase } from "../../../engine/db/database.ts";
import { Store } from "../../../engine/db/store.ts";
import { WalArchive } from "../../../engine/wal/archive.ts";
import { scanSegment } from "../../../engine/wal/reader.ts";
import { listSegments } from "../../../engine/db/recovery.ts";

const SMALL = {
  walSegmentBytes: 64 * 1024,
  memtableBytes: 64 * 1024,
  changesRetention: { bytes: 0, ageMs: 0 },
};

function lsnsIn(dir: string): number[] {
  const lsns: number[] = [];
  for (const file of listSegments(dir)) {
    for (const group of scanSegment(Deno.readFileSync(file.path), 0).groups) {
      for (const frame of group.frames) lsns.push(frame.lsn);
      lsns.push(group.commitLsn);
    }
  }
  return lsns;
}

Deno.test("WalArchive receives every removed segment, verified, so archive + WAL hold every LSN", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_archive_" });
  const archive = new WalArchive({ dir: `${root}/archive`, retentionBytes: 0, retentionAgeMs: 0 });
  const db = await openDatabase(`${root}/db`, { ...SMALL, segmentSink: archive.sink });
  try {
    await db.createStore("items");
    const items = new Store(db, "items");
    for (let n = 0; n < 2000; n++) await items.insert({ n, body: "x".repeat(200) });
    await db.flush();
    await archive.idle();
    const status = archive.status();
    assert(status.archivedSegments > 0, "segments were archived");
    assertEquals([status.failures, status.lastError], [0, null]);
    const archived = lsnsIn(`${root}/archive`);
    const live = lsnsIn(`${root}/db/wal`);
    const all = [...new Set([...archived, ...live])].sort((a, b) => a - b);
    assertEquals(all.length, db.lastLsn, "every LSN is in the archive or the WAL");
    assertEquals(all[0], 1);
    assertEquals(all[all.length - 1], db.lastLsn);
  } finally {
    await db.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("WalArchive on a failing disk reports the failure; commits go on", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_archive_fail_" });
  await Deno.writeTextFile(`${root}/not_a_dir`, "x"); // the archive "directory" is a file: every copy fails
  const lines: string[] = [];
  const archive = new WalArchive({
    dir: `${root}/not_a_dir`,
    retentionBytes: 0,
    retentionAgeMs: 0,
    log: (line) => lines.push(line),
  });
  const db = await openDatabase(`${root}/db`, { ...SMALL, segmentSink: archive.sink });
  try {
    await db.createStore("items");
    const items = new Store(db, "items");
    for (let n = 0; n < 2000; n++) await items.insert({ n, body: "x".repeat(200) });
    await db.flush();
    await archive.idle();
    const status = archive.status();
    assert(status.failures > 0, "the failure is counted");
    assert(status.lastError !== null && status.lastError.includes("not_a_dir"), String(status.lastError));
    assert(status.pendingSegments > 0, "the segments wait in wal/archiving/");
    assert(lines.some((line) => line.includes("ARCHIVE")), "the failure is logged");
    assertEquals(items.scanRaw({ limit: 5000 }).length, 2000);
  } finally {
    await db.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("WalArchive retention removes the oldest archived segments past its byte bound", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_archive_ret_" });
  const archive = new WalArchive({ dir: `${root}/archive`, retentionBytes: 200 * 1024, retentionAgeMs: 0 });
  const db = await openDatabase(`${root}/db`, { ...SMALL, segmentSink: archive.sink });
  try {
    await db.createStore("items");
    const items = new Store(db, "items");
    for (let n = 0; n < 4000; n++) await items.insert({ n, body: "x".repeat(200) });
    await db.flush();
    await archive.idle();
    let total = 0;
    for (const entry of Deno.readDirSync(`${root}/archive`)) {
      total += Deno.statSync(`${root}/archive/${entry.name}`).size;
    }
    assert(total <= 200 * 1024 + 128 * 1024, `the archive holds ${total} bytes`);
    assert(archive.status().archivedSegments * 60 * 1024 > total, "some archived segments were removed");
  } finally {
    await db.close();
    await Deno.remove(root, { recursive: true });
  }
});
