import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { FaultyFs } from "../../_util/faulty_fs.ts";
import { copyDirSync, crashImage, walFiles, withDatabase, withTempDir } from "../../_util/temp_db.ts";
import {
  GROUP_BYTES_MAX,
  GROUP_OPS_MAX,
  SYNC_INTERVAL_MS_MAX,
  WAL_SEGMENT_BYTES_MIN,
} from "../../../engine/limits.ts";
import {
  type Durability,
  parseDurability,
  type SegmentInfo,
  type SyncMethod,
  Wal,
} from "../../../engine/wal/wal.ts";
import { decodeSegmentHeader, type FrameInput, FrameKind } from "../../../engine/wal/format.ts";
import { scanSegment } from "../../../engine/wal/reader.ts";
import { Store } from "../../../engine/db/store.ts";

function put(n: number, valueBytes = 8): FrameInput {
  const key = new Uint8Array(16);
  new DataView(key.buffer).setUint32(12, n);
  return { kind: FrameKind.put, storeId: 1, key, value: new Uint8Array(valueBytes).fill(n & 0xff) };
}

async function withWal(
  dir: string,
  options: { segmentBytes?: number; durability?: Durability; syncMethod?: SyncMethod },
  body: (wal: Wal) => Promise<void> | void,
): Promise<void> {
  const wal = new Wal({
    preallocateBytes: 0,
    dir,
    segmentBytes: options.segmentBytes ?? 1 << 20,
    durability: options.durability ?? { mode: "sync" },
    syncMethod: options.syncMethod,
    segments: [],
    activeBytes: 0,
    lastLsn: 0,
  });
  try {
    await body(wal);
  } finally {
    await wal.close();
  }
}

/** Every segment's header first LSN and the LSNs of its frames (commit markers included). */
function readSegments(paths: string[]): { firstLsn: number; lsns: number[] }[] {
  return paths.map((path) => {
    const bytes = Deno.readFileSync(path);
    const scan = scanSegment(bytes, 0);
    assertEquals(scan.fault, null, `${path} scans cleanly`);
    assertEquals(scan.discardedBytes, 0, `${path} ends with a commit marker`);
    const lsns = scan.groups.flatMap((g) => [...g.frames.map((f) => f.lsn), g.commitLsn]);
    return { firstLsn: scan.firstLsn!, lsns };
  });
}

Deno.test("parseDurability accepts sync and interval:<ms> and rejects the rest", async () => {
  assertEquals(parseDurability("sync"), { mode: "sync" });
  assertEquals(parseDurability("interval:1"), { mode: "interval", intervalMs: 1 });
  assertEquals(parseDurability(`interval:${SYNC_INTERVAL_MS_MAX}`), {
    mode: "interval",
    intervalMs: SYNC_INTERVAL_MS_MAX,
  });
  for (
    const bad of ["", "SYNC", "async", "interval", "interval:", "interval:0", "interval:-5", "interval:1.5"]
  ) {
    await assertRejectsCode(() => parseDurability(bad), "invalid_argument", `"${bad}"`);
  }
  await assertRejectsCode(() => parseDurability(`interval:${SYNC_INTERVAL_MS_MAX + 1}`), "invalid_argument");
});

Deno.test("Wal.append gives consecutive LSNs to frames and commit markers", async () => {
  await withTempDir((dir) =>
    withWal(dir, {}, async (wal) => {
      assertEquals(wal.append([put(1), put(2)]), { firstLsn: 1, lastLsn: 3 });
      assertEquals(wal.append([put(3)]), { firstLsn: 4, lastLsn: 5 });
      assertEquals(wal.append([]), { firstLsn: 6, lastLsn: 6 }, "an empty group is just a commit marker");
      assertEquals(wal.lastLsn, 6);
      await wal.waitDurable(6);
      assertEquals(wal.durableLsn, 6);
      assertEquals(readSegments([`${dir}/0000000000000001.wal`]), [
        { firstLsn: 1, lsns: [1, 2, 3, 4, 5, 6] },
      ]);
    })
  );
});

Deno.test("Wal.append rotates at segmentBytes and the new segment's first LSN continues", async () => {
  for (const syncMethod of ["inline", "async"] as const) {
    await withTempDir(async (dir) => {
      const sealed: SegmentInfo[] = [];
      await withWal(dir, { segmentBytes: WAL_SEGMENT_BYTES_MIN, syncMethod }, async (wal) => {
        wal.onRotate = (segment) => sealed.push(segment);
        let n = 0;
        for (let group = 0; group < 40; group++) {
          wal.append([put(n++, 3000), put(n++, 3000)]); // ≈ 6.1 KB per group: 10 groups per segment
          if (group % 7 === 0) await wal.sync();
        }
        await wal.sync();
        assertEquals(wal.segments().length, 4, `${syncMethod}: 40 groups of 6 KB fill four 64 KiB segments`);
      });
      const files = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).sort();
      assertEquals(files.length, 4);
      assertEquals(sealed.map((s) => s.sequence), [1, 2, 3]);
      const segments = readSegments(files);
      let expected = 1;
      for (const [i, segment] of segments.entries()) {
        assertEquals(segment.firstLsn, expected, `segment ${i + 1} starts after the previous one`);
        assertEquals(segment.lsns[0], expected);
        expected = segment.lsns[segment.lsns.length - 1] + 1;
        const size = Deno.statSync(files[i]).size;
        assert(size <= WAL_SEGMENT_BYTES_MIN, `segment ${i + 1} (${size} bytes) stays within segmentBytes`);
      }
      assertEquals(expected, 121, "40 groups of 3 frames");
      for (const [i, file] of files.entries()) {
        assertEquals(decodeSegmentHeader(Deno.readFileSync(file)), {
          sequence: i + 1,
          firstLsn: segments[i].firstLsn,
        });
      }
    });
  }
});

Deno.test("Wal.append writes a group larger than a segment whole into a fresh segment", async () => {
  await withTempDir(async (dir) => {
    await withWal(dir, { segmentBytes: WAL_SEGMENT_BYTES_MIN }, async (wal) => {
      wal.append([put(1, 100)]);
      wal.append([put(2, WAL_SEGMENT_BYTES_MIN), put(3, 10)]); // does not fit the rest of segment 1
      wal.append([put(4, 100)]);
      await wal.sync();
    });
    const segments = readSegments([...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).sort());
    assertEquals(segments.map((s) => s.lsns), [[1, 2], [3, 4, 5], [6, 7]]);
  });
});

Deno.test("Wal.append rejects oversized groups with limit_exceeded naming the limit", async () => {
  await withTempDir((dir) =>
    withWal(dir, {}, async (wal) => {
      const many = Array.from({ length: GROUP_OPS_MAX }, () =>
        ({ kind: FrameKind.delete, storeId: 1 }) as FrameInput);
      const ops = await assertRejectsCode(
        () =>
          wal.append(many),
        "limit_exceeded",
        "GROUP_OPS_MAX",
      );
      assertEquals(ops.location?.limit, "GROUP_OPS_MAX");
      const huge = { kind: FrameKind.put, storeId: 1, value: new Uint8Array(GROUP_BYTES_MAX) } as FrameInput;
      const bytes = await assertRejectsCode(() => wal.append([huge]), "limit_exceeded", "GROUP_BYTES_MAX");
      assertEquals(bytes.location?.limit, "GROUP_BYTES_MAX");
      assertEquals(wal.lastLsn, 0, "nothing was appended");
      assertEquals(wal.append([put(1)]), { firstLsn: 1, lastLsn: 2 });
    })
  );
});

Deno.test("Wal.rotate starts a segment only when the active one has frames", async () => {
  await withTempDir(async (dir) => {
    await withWal(dir, {}, (wal) => {
      wal.rotate(); // empty: no new segment
      assertEquals(wal.segments().length, 1);
      wal.append([put(1)]);
      wal.rotate();
      wal.append([put(2)]);
      assertEquals(wal.segments().map((s) => [s.sequence, s.firstLsn]), [[1, 1], [2, 3]]);
      const dropped = wal.dropSegmentsBefore(2);
      assertEquals(dropped.map((s) => s.sequence), [1]);
      assertEquals(wal.segments().map((s) => s.sequence), [2]);
    });
  });
});

Deno.test("Wal.close syncs everything and later appends fail with unavailable", async () => {
  await withTempDir(async (dir) => {
    const wal = new Wal({
      preallocateBytes: 0,
      dir,
      segmentBytes: 1 << 20,
      durability: { mode: "interval", intervalMs: SYNC_INTERVAL_MS_MAX },
      segments: [],
      activeBytes: 0,
      lastLsn: 0,
    });
    wal.append([put(1)]);
    assertEquals(wal.durableLsn, 0, "interval mode does not sync on append");
    await wal.close();
    assertEquals(wal.durableLsn, 2);
    await assertRejectsCode(() => wal.append([put(2)]), "unavailable");
    await wal.close(); // idempotent
  });
});

Deno.test("openDatabase continues LSNs and segments when it replays a multi-segment WAL", async () => {
  await withTempDir(async (dir) => {
    const options = { walSegmentBytes: WAL_SEGMENT_BYTES_MIN };
    const image = `${dir}/image`;
    let lastLsn = 0;
    await withDatabase(`${dir}/db`, options, async (db) => {
      await db.createStore("docs");
      const docs = new Store(db, "docs");
      for (let i = 0; i < 30; i++) await docs.put(BigInt(i), { pad: "x".repeat(5000) });
      lastLsn = db.lastLsn;
      await crashImage(db, image);
    });
    const before = walFiles(image).length;
    assert(before >= 2, `several segments: ${before}`);
    await withDatabase(image, options, async (db) => {
      assertEquals(db.lastLsn, lastLsn);
      assertEquals(db.recovery.tornTail, null);
      assertEquals(db.recovery.segments, before);
      assertEquals(db.recovery.groups, 31);
      const docs = new Store(db, "docs");
      assertEquals(docs.scan().length, 30);
      for (let i = 30; i < 60; i++) await docs.put(BigInt(i), { pad: "y".repeat(5000) });
      assertEquals(db.lastLsn, lastLsn + 60);
      const segments = readSegments(walFiles(image));
      for (let i = 1; i < segments.length; i++) {
        const previous = segments[i - 1].lsns;
        assertEquals(segments[i].firstLsn, previous[previous.length - 1] + 1, `segment ${i + 1} continues`);
      }
    });
  });
});

/**
 * Copies `dir` as a power cut would leave it: every WAL segment keeps what its last sync covered and
 * `keep` (0..1) of the bytes written after it (a torn write); segments never synced keep `keep` of
 * their bytes.
 */
function powerCutImage(dir: string, fs: FaultyFs, target: string, keep: number): void {
  copyDirSync(dir, target);
  for (const path of walFiles(dir)) {
    const size = Deno.statSync(path).size;
    const synced = fs.syncedBytes.get(path) ?? 0;
    Deno.truncateSync(path.replace(dir, target), synced + Math.floor((size - synced) * keep));
  }
}

Deno.test("Wal rotation syncs the sealed segment before the next segment is created", async () => {
  await withTempDir(async (dir) => {
    const fs = new FaultyFs();
    const wal = new Wal({
      preallocateBytes: 0,
      dir,
      segmentBytes: WAL_SEGMENT_BYTES_MIN,
      durability: { mode: "interval", intervalMs: SYNC_INTERVAL_MS_MAX }, // no timer sync in this test
      fs,
      segments: [],
      activeBytes: 0,
      lastLsn: 0,
    });
    try {
      for (let n = 0; n < 30; n++) wal.append([put(n, 6000)]);
      const paths = wal.segments().map((s) => s.path);
      assert(paths.length >= 3, `${paths.length} segments`);
      for (let i = 1; i < paths.length; i++) {
        const synced = fs.events.indexOf(`sync ${paths[i - 1]}`);
        assert(synced !== -1 && synced < fs.events.indexOf(`open ${paths[i]}`), `segment ${i} synced first`);
        assertEquals(fs.syncedBytes.get(paths[i - 1]), Deno.statSync(paths[i - 1]).size);
      }
    } finally {
      await wal.close();
    }
  });
});

Deno.test("openDatabase recovers a power cut in interval durability across segment rotations", async () => {
  for (const keep of [0, 0.5, 0.9]) {
    await withTempDir(async (dir) => {
      const fs = new FaultyFs();
      const options = {
        walSegmentBytes: WAL_SEGMENT_BYTES_MIN,
        durability: `interval:${SYNC_INTERVAL_MS_MAX}`,
      };
      await withDatabase(`${dir}/db`, { ...options, fs }, async (db) => {
        await db.createStore("docs");
        await db.sync();
        const docs = new Store(db, "docs");
        for (let i = 0; i < 40; i++) await docs.put(BigInt(i), { i, pad: "p".repeat(6000) });
        assert(walFiles(`${dir}/db`).length >= 3, "several segments, none synced by the timer");
        powerCutImage(`${dir}/db`, fs, `${dir}/image`, keep);
      });
      await withDatabase(`${dir}/image`, options, (db) => {
        const found = new Store(db, "docs").scan().map((r) => r.doc.i);
        assertEquals(found, found.map((_, i) => i), `keep ${keep}: whole groups, a prefix of the writes`);
        assert(found.length >= 20, `keep ${keep}: the sealed segments survive (${found.length} documents)`);
      });
    });
  }
});

Deno.test("Wal.append fails and stays failed when the sync of a sealed segment fails", async () => {
  await withTempDir(async (dir) => {
    const fs = new FaultyFs();
    const wal = new Wal({
      preallocateBytes: 0,
      dir,
      segmentBytes: WAL_SEGMENT_BYTES_MIN,
      durability: { mode: "interval", intervalMs: SYNC_INTERVAL_MS_MAX },
      fs,
      segments: [],
      activeBytes: 0,
      lastLsn: 0,
    });
    try {
      fs.syncError = new Error("EIO: input/output error (os error 5)");
      let n = 0;
      const error = await assertRejectsCode(
        () => {
          while (n < 100) wal.append([put(n++, 6000)]);
        },
        "internal",
        "WAL sync failed",
      );
      assert(error.message.includes("os error 5"), error.message);
      assertEquals(wal.segments().length, 1, "no segment is created after the failed sync");
      fs.syncError = null;
      await assertRejectsCode(() => wal.append([put(1000)]), "internal", "WAL sync failed");
    } finally {
      await wal.close();
    }
  });
});
