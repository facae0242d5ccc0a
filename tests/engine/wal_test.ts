import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import { crashImage, walFiles, withDatabase, withTempDir } from "../_util/temp_db.ts";
import {
  GROUP_BYTES_MAX,
  GROUP_OPS_MAX,
  SYNC_INTERVAL_MS_MAX,
  WAL_SEGMENT_BYTES_MIN,
} from "../../engine/limits.ts";
import {
  type Durability,
  parseDurability,
  type SegmentInfo,
  type SyncMethod,
  Wal,
} from "../../engine/wal.ts";
import { decodeSegmentHeader, type FrameInput, FrameKind } from "../../engine/wal_format.ts";
import { scanSegment } from "../../engine/wal_reader.ts";
import { Store } from "../../engine/store.ts";

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
