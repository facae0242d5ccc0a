/**
 * Reused WAL segments (engine/wal/wal.ts, docs/storage-format.md "Reused segments"): a segment past
 * recovery and retention becomes a spare and then a later segment without being cleared; its stale
 * frames are never read as live ones — not by reopen, not by recovery from a crash image, not by a
 * scan that meets a stale frame with a valid CRC exactly where the live frames end.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { crashImage, walFiles, withDatabase, withTempDir } from "../../_util/temp_db.ts";
import type { DatabaseOptions } from "../../../engine/db/database.ts";
import { Store } from "../../../engine/db/store.ts";
import type { Document } from "../../../engine/document.ts";
import { recoverWal } from "../../../engine/db/recovery.ts";
import { WAL_PREALLOCATE_BYTES, WAL_SEGMENT_BYTES_MIN } from "../../../engine/limits.ts";
import {
  encodeFrame,
  encodeSegmentHeader,
  FRAME_HEADER_BYTES,
  type FrameInput,
  FrameKind,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "../../../engine/wal/format.ts";
import { scanSegment } from "../../../engine/wal/reader.ts";

/** Small segments, checkpoints and memtable, no retention: segments retire after a few hundred writes. */
const RECYCLING: DatabaseOptions = {
  walSegmentBytes: WAL_SEGMENT_BYTES_MIN,
  walCheckpointBytes: 32 * 1024,
  memtableBytes: 48 * 1024,
  walPreallocateBytes: WAL_PREALLOCATE_BYTES,
  changesRetention: { bytes: 0, ageMs: 0 },
};
const DOCS = 1000;

function key(n: number): string {
  return n.toString(16).padStart(32, "0");
}

function doc(n: number, version: number): Document {
  return { n, version, note: `document ${n} version ${version} `.repeat(4) };
}

/** Inode of every segment and spare file in the WAL directory, by name. */
function walInodes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of Deno.readDirSync(`${dir}/wal`)) {
    if (entry.isFile && /\.(wal|spare)$/.test(entry.name)) {
      out.set(entry.name, Deno.statSync(`${dir}/wal/${entry.name}`).ino!);
    }
  }
  return out;
}

/**
 * Writes every document twice (two versions), recording which inodes have carried which segment
 * names; returns the names each inode carried.
 */
async function writeAll(store: Store, dir: string): Promise<Map<number, Set<string>>> {
  const names = new Map<number, Set<string>>();
  for (let version = 1; version <= 2; version++) {
    for (let n = 0; n < DOCS; n++) {
      await store.put(key(n), doc(n, version));
      if (n % 50 === 0) {
        for (const [name, ino] of walInodes(dir)) {
          if (name.endsWith(".wal")) (names.get(ino) ?? names.set(ino, new Set()).get(ino)!).add(name);
        }
      }
    }
  }
  return names;
}

function checkAll(store: Store): void {
  for (let n = 0; n < DOCS; n++) assertEquals(store.get(key(n)), doc(n, 2), `document ${n}`);
}

Deno.test("wal reuse: retired segments come back as later segments; sealed ones scan clean; reopen reads every write", async () => {
  await withTempDir(async (dir) => {
    await withDatabase(dir, RECYCLING, async (db) => {
      await db.createStore("s");
      const names = await writeAll(new Store(db, "s"), dir);
      const reusedInodes = [...names.values()].filter((set) => set.size > 1);
      assert(
        reusedInodes.length > 0,
        `some file carried two segment names: ${JSON.stringify([...names.values()].map((s) => [...s]))}`,
      );
      // Sealed segments were cut to their last group when sealed: no stale frames, no fault.
      const files = walFiles(dir);
      for (const path of files.slice(0, -1)) {
        const scan = scanSegment(Deno.readFileSync(path), 0);
        assertEquals(scan.fault, null, `${path} scans clean`);
        assertEquals(scan.discardedBytes, 0, `${path} ends at a commit marker`);
      }
    });
    await withDatabase(dir, RECYCLING, (db) => checkAll(new Store(db, "s")));
  });
});

Deno.test("wal reuse: a crash image whose active segment is a reused one replays every committed write", async () => {
  await withTempDir(async (dir) => {
    await withTempDir(async (image) => {
      await withDatabase(dir, RECYCLING, async (db) => {
        await db.createStore("s");
        const store = new Store(db, "s");
        const names = await writeAll(store, dir);
        // Keep writing until the active segment is a reused file holding stale bytes past its live end.
        let extra = 0;
        const reusedActive = () => {
          const active = walFiles(dir).pop()!;
          const ino = Deno.statSync(active).ino!;
          return (names.get(ino)?.size ?? 0) > 0 &&
            !names.get(ino)!.has(active.slice(active.lastIndexOf("/") + 1));
        };
        while (!reusedActive() && extra < 5000) {
          await store.put(key(extra % DOCS), doc(extra % DOCS, 2));
          extra++;
        }
        assert(reusedActive(), "the active segment became a reused file");
        await crashImage(db, image);
      });
      const active = walFiles(image).pop()!;
      const bytes = Deno.readFileSync(active);
      const scan = scanSegment(bytes, 0);
      assert(bytes.length > scan.validEnd, "the image's active segment has bytes past its live end");
      await withDatabase(image, RECYCLING, async (db) => {
        assertEquals(db.recovery.lost, null, "nothing was salvaged");
        await checkAll(new Store(db, "s"));
        await new Store(db, "s").put(key(1), doc(1, 2)); // writes go on after the cut
      });
      await withDatabase(image, RECYCLING, (db) => checkAll(new Store(db, "s")));
    }, "planck_reuse_image_");
  });
});

/** A put frame for store 1 with a 16-byte key and a small value. */
function put(n: number): FrameInput {
  const key = new Uint8Array(16);
  new DataView(key.buffer).setUint32(12, n);
  return { kind: FrameKind.put, storeId: 1, key, value: new Uint8Array(24).fill(n & 0xff) };
}

/** Encodes groups of one put + commit each, with LSNs from `firstLsn`. */
function groups(firstLsn: number, count: number): Uint8Array {
  const size = count * 2 * FRAME_HEADER_BYTES + count * 24;
  const bytes = new Uint8Array(size);
  let at = 0;
  let lsn = firstLsn;
  for (let i = 0; i < count; i++) {
    at = encodeFrame(bytes, at, lsn++, put(lsn));
    at = encodeFrame(bytes, at, lsn++, { kind: FrameKind.commit, storeId: 0 });
  }
  return bytes;
}

Deno.test("wal reuse: a stale frame with a valid CRC right at the live end is not live (its LSN is older)", async () => {
  await withTempDir((dir) => {
    // The file's previous life: segment 3 from LSN 1, ten groups. Its new life: segment 9 from LSN
    // 101, two groups written over the start, ending exactly where an old group begins.
    const old = groups(1, 10);
    const live = groups(101, 2);
    const file = new Uint8Array(SEGMENT_HEADER_BYTES + old.length);
    file.set(encodeSegmentHeader({ sequence: 3, firstLsn: 1 }), 0);
    file.set(old, SEGMENT_HEADER_BYTES);
    file.set(encodeSegmentHeader({ sequence: 9, firstLsn: 101 }), 0);
    file.set(live, SEGMENT_HEADER_BYTES);
    const scan = scanSegment(file, 0);
    assertEquals(scan.groups.map((g) => g.commitLsn), [102, 104], "only the new life's groups are live");
    assertEquals(scan.validEnd, SEGMENT_HEADER_BYTES + live.length);
    assert(
      scan.fault !== null && scan.fault.reason.includes("LSN out of sequence"),
      "the stale frame ends the scan",
    );
    // Recovery reads it as the end of the log (the last segment) and replays only the live groups.
    Deno.writeFileSync(`${dir}/${segmentFileName(9)}`, file);
    const applied: number[] = [];
    const recovered = recoverWal(dir, {
      checkpointLsn: 100,
      salvage: false,
      apply: (group) => applied.push(group.commitLsn),
    });
    assertEquals(applied, [102, 104]);
    assertEquals(recovered.lastLsn, 104);
    assertEquals(recovered.activeBytes, SEGMENT_HEADER_BYTES + live.length);
  });
});
