import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { type Database, openDatabase } from "../../../engine/db/database.ts";
import { Store } from "../../../engine/db/store.ts";
import { BSON } from "bson";
import { crc32 } from "../../../engine/checksum.ts";
import {
  decodeFrame,
  decodeSegmentHeader,
  encodeFrame,
  encodeSegmentHeader,
  type Frame,
  FRAME_HEADER_BYTES,
  frameBytes,
  type FrameInput,
  FrameKind,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  WAL_MAGIC,
  WAL_VERSION,
} from "../../../engine/wal/format.ts";
import { scanSegment } from "../../../engine/wal/reader.ts";
import { Wal } from "../../../engine/wal/wal.ts";
import { GOLDEN_HEADER, goldenBytes, goldenGroups, tinyBson } from "../../fixtures/wal/make_golden.ts";
import { withTempDir } from "../../_util/temp_db.ts";

const GOLDEN_PATH = new URL("../../fixtures/wal/golden.wal", import.meta.url);

function encodeOne(lsn: number, frame: FrameInput, pad = 0): Uint8Array {
  const bytes = new Uint8Array(pad + frameBytes(frame));
  assertEquals(encodeFrame(bytes, pad, lsn, frame), bytes.length);
  return bytes;
}

function decodeOk(bytes: Uint8Array, offset = 0, end = bytes.length): Frame {
  const frame = decodeFrame(bytes, offset, end);
  if (typeof frame === "string") throw new Error(`expected a frame, got fault "${frame}"`);
  return frame;
}

/** Rewrites byte `at` of the frame at 0 and fixes its checksum, so only the changed field is wrong. */
function patchAndReseal(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = value;
  new DataView(copy.buffer).setUint32(0, crc32(copy, 4, copy.length), true);
  return copy;
}

Deno.test("encodeFrame and decodeFrame round-trip every kind and field", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
  const cases: [number, FrameInput][] = [
    [1, { kind: FrameKind.put, storeId: 1, key, value: new Uint8Array([1, 2, 3]) }],
    [2, { kind: FrameKind.delete, storeId: 0xffffffff, key }],
    [3, { kind: FrameKind.commit, storeId: 0 }],
    [4, { kind: FrameKind.createStore, storeId: 7, value: new TextEncoder().encode("orders") }],
    [5, { kind: FrameKind.dropStore, storeId: 7 }],
    [6, { kind: FrameKind.createIndex, storeId: 7, value: Uint8Array.from(BSON.serialize({ path: "a" })) }],
    [Number.MAX_SAFE_INTEGER, {
      kind: FrameKind.dropIndex,
      storeId: 7,
      value: new Uint8Array(70_000).fill(9),
    }],
  ];
  for (const [lsn, input] of cases) {
    for (const pad of [0, 13]) {
      const bytes = encodeOne(lsn, input, pad);
      assertEquals(bytes.length - pad, FRAME_HEADER_BYTES + (input.value?.length ?? 0));
      const frame = decodeOk(bytes, pad);
      assertEquals(frame.lsn, lsn);
      assertEquals(frame.kind, input.kind);
      assertEquals(frame.storeId, input.storeId);
      assertEquals(frame.key, input.key ?? new Uint8Array(16));
      assertEquals(frame.value, input.value ?? new Uint8Array(0));
    }
  }
});

Deno.test("decodeFrame reads a frame inside a subarray with a byte offset", () => {
  const outer = new Uint8Array(200);
  const inner = outer.subarray(37, 37 + 100);
  const end = encodeFrame(inner, 5, 9, { kind: FrameKind.put, storeId: 2, value: new Uint8Array([7, 7]) });
  const frame = decodeOk(inner, 5, end);
  assertEquals([frame.lsn, frame.storeId, [...frame.value]], [9, 2, [7, 7]]);
});

Deno.test("decodeFrame reports end at the end of the data and over zeros", () => {
  const bytes = encodeOne(1, { kind: FrameKind.commit, storeId: 0 });
  assertEquals(decodeFrame(bytes, bytes.length, bytes.length), "end");
  assertEquals(decodeFrame(new Uint8Array(64), 0, 64), "end");
  assertEquals(decodeFrame(new Uint8Array(64), 8, 64), "end");
});

Deno.test("decodeFrame reports short when the frame runs past the end", () => {
  const bytes = encodeOne(1, { kind: FrameKind.put, storeId: 1, value: new Uint8Array(10) });
  assertEquals(decodeFrame(bytes, 0, 7), "short", "not even the length field");
  assertEquals(decodeFrame(bytes, 0, FRAME_HEADER_BYTES), "short", "the header but not the value");
  assertEquals(decodeFrame(bytes, 0, bytes.length - 1), "short", "one byte missing");
  assertEquals(decodeFrame(bytes.subarray(0, 20), 0, 20), "short");
});

Deno.test("decodeFrame reports length for a length below the frame header", () => {
  const bytes = encodeOne(1, { kind: FrameKind.commit, storeId: 0 });
  for (const size of [1, 8, FRAME_HEADER_BYTES - 1]) {
    const copy = bytes.slice();
    new DataView(copy.buffer).setUint32(4, size, true);
    assertEquals(decodeFrame(copy, 0, copy.length), "length", `length ${size}`);
  }
  const zeroLength = bytes.slice();
  new DataView(zeroLength.buffer).setUint32(4, 0, true); // checksum still set: not an empty slot
  assertEquals(decodeFrame(zeroLength, 0, zeroLength.length), "length");
});

Deno.test("decodeFrame reports checksum for a flipped bit anywhere in the frame", () => {
  const bytes = encodeOne(3, {
    kind: FrameKind.put,
    storeId: 1,
    key: new Uint8Array(16).fill(1),
    value: tinyBson(5),
  });
  for (let at = 0; at < bytes.length; at++) {
    if (at >= 4 && at < 8) continue; // the length field: a changed length is "short" or "length"
    const copy = bytes.slice();
    copy[at] ^= 0x10;
    assertEquals(decodeFrame(copy, 0, copy.length), "checksum", `bit flipped at byte ${at}`);
  }
});

Deno.test("decodeFrame reports kind for an unknown kind under a valid checksum", () => {
  const bytes = encodeOne(1, { kind: FrameKind.put, storeId: 1, value: new Uint8Array(1) });
  for (const kind of [0, 9, 255]) {
    assertEquals(decodeFrame(patchAndReseal(bytes, 16, kind), 0, bytes.length), "kind");
  }
  for (const kind of Object.values(FrameKind)) {
    assertEquals(decodeOk(patchAndReseal(bytes, 16, kind)).kind, kind);
  }
});

Deno.test("FrameKind values are fixed by the format", () => {
  assertEquals({ ...FrameKind }, {
    put: 1,
    delete: 2,
    commit: 3,
    createStore: 4,
    dropStore: 5,
    createIndex: 6,
    dropIndex: 7,
    insert: 8,
  });
  assertEquals([FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES, WAL_VERSION], [40, 32, 1]);
  assertEquals(new TextDecoder().decode(WAL_MAGIC), "PLNKWAL\0");
});

Deno.test("encodeSegmentHeader and decodeSegmentHeader round-trip", () => {
  for (const header of [{ sequence: 1, firstLsn: 1 }, { sequence: 42, firstLsn: 123_456_789_012 }]) {
    const bytes = encodeSegmentHeader(header);
    assertEquals(bytes.length, SEGMENT_HEADER_BYTES);
    assertEquals(decodeSegmentHeader(bytes), header);
    const longer = new Uint8Array(100);
    longer.set(bytes);
    assertEquals(decodeSegmentHeader(longer), header, "frames may follow the header");
  }
});

Deno.test("decodeSegmentHeader rejects a short file, bad magic, another version and a bad checksum", () => {
  const good = encodeSegmentHeader({ sequence: 3, firstLsn: 77 });
  const patched = (at: number, value: number) => {
    const copy = good.slice();
    copy[at] = value;
    return copy;
  };
  assertEquals(decodeSegmentHeader(good.subarray(0, 31)), "the file is shorter than a segment header");
  assertEquals(decodeSegmentHeader(new Uint8Array(0)), "the file is shorter than a segment header");
  assertEquals(decodeSegmentHeader(patched(0, 0x51)), "bad magic number");
  assertEquals(decodeSegmentHeader(patched(7, 1)), "bad magic number");
  assertEquals(decodeSegmentHeader(new Uint8Array(32)), "bad magic number");
  assertEquals(decodeSegmentHeader(patched(8, 2)), "unsupported WAL version 2 (this build reads 1)");
  assertEquals(decodeSegmentHeader(patched(16, 4)), "header checksum mismatch", "sequence changed");
  assertEquals(decodeSegmentHeader(patched(31, 1)), "header checksum mismatch", "first LSN changed");
  assertEquals(
    decodeSegmentHeader(patched(12, good[12] ^ 1)),
    "header checksum mismatch",
    "checksum changed",
  );
});

Deno.test("segmentFileName pads to 16 digits so names sort by sequence", () => {
  assertEquals(segmentFileName(1), "0000000000000001.wal");
  assertEquals(segmentFileName(1234567), "0000000001234567.wal");
  const names = [10, 9, 100, 2].map(segmentFileName).sort();
  assertEquals(names, [2, 9, 10, 100].map(segmentFileName));
});

Deno.test("golden.wal matches the bytes the current encoder produces", () => {
  const golden = Deno.readFileSync(GOLDEN_PATH);
  const encoded = goldenBytes();
  assertEquals(
    encoded.length,
    golden.length,
    "golden.wal length: the WAL format changed; see make_golden.ts",
  );
  for (let i = 0; i < golden.length; i++) {
    if (encoded[i] !== golden[i]) {
      throw new Error(
        `golden.wal differs at byte ${i}: the WAL format changed. Bump WAL_VERSION, update ` +
          `docs/storage-format.md and regenerate with tests/fixtures/wal/make_golden.ts`,
      );
    }
  }
});

Deno.test("golden.wal decodes to the documented groups", () => {
  const golden = Deno.readFileSync(GOLDEN_PATH);
  assertEquals(
    tinyBson(1),
    Uint8Array.from(BSON.serialize({ a: 1 })),
    "the fixture's literal BSON is real BSON",
  );
  assertEquals(decodeSegmentHeader(golden), GOLDEN_HEADER);
  const scan = scanSegment(golden, 0);
  assertEquals(scan.fault, null);
  assertEquals(scan.validEnd, golden.length);
  assertEquals(scan.groups.map((g) => g.commitLsn), [2, 5, 7]);
  const frames = scan.groups.flatMap((g) => g.frames);
  assertEquals(frames.map((f) => [f.lsn, f.kind, f.storeId, f.key[15], f.value.length]), [
    [1, FrameKind.createStore, 1, 0, 6],
    [3, FrameKind.put, 1, 1, 12],
    [4, FrameKind.put, 1, 2, 12],
    [6, FrameKind.delete, 1, 1, 0],
  ]);
  assertEquals(new TextDecoder().decode(frames[0].value), "orders");
  assertEquals(BSON.deserialize(frames[2].value), { a: 2 });
  // Spot-check documented bytes: the first frame's CRC and length (docs/storage-format.md example).
  const view = new DataView(golden.buffer);
  assertEquals(view.getUint32(32, true), crc32(golden, 36, 32 + 46));
  assertEquals(view.getUint32(36, true), 46);
});

Deno.test("Wal.append writes exactly the golden segment for the golden groups", async () => {
  await withTempDir(async (dir) => {
    const wal = new Wal({
      dir,
      segmentBytes: 1 << 20,
      durability: { mode: "sync" },
      segments: [],
      activeBytes: 0,
      lastLsn: 0,
    });
    try {
      for (const group of goldenGroups()) wal.append(group.slice(0, -1)); // the writer adds the marker
      await wal.sync();
    } finally {
      await wal.close();
    }
    const written = Deno.readFileSync(`${dir}/${segmentFileName(1)}`);
    assert(written.length === goldenBytes().length, `segment length ${written.length}`);
    assertEquals(written, Deno.readFileSync(GOLDEN_PATH));
  });
});

Deno.test("golden.wal opens as a database and behaves as docs/storage-format.md describes", async () => {
  await withTempDir(async (dir) => {
    const open = async (path: string, body: (db: Database) => void) => {
      const db = await openDatabase(path);
      try {
        body(db);
      } finally {
        await db.close();
      }
    };
    const docs = (db: Database) => new Store(db, "orders").scan().map((r) => [r.key.slice(-1), r.doc]);
    const place = (name: string, bytes: Uint8Array) => {
      Deno.mkdirSync(`${dir}/${name}/wal`, { recursive: true });
      const path = `${dir}/${name}/wal/${segmentFileName(1)}`;
      Deno.writeFileSync(path, bytes);
      return path;
    };
    const golden = Deno.readFileSync(GOLDEN_PATH);
    place("whole", golden);
    await open(`${dir}/whole`, (db) => {
      assertEquals(db.lastLsn, 7);
      assertEquals(docs(db), [["2", { a: 2 }]]);
    });
    place("torn", golden.subarray(0, 0x106 + 50)); // inside the last commit marker
    await open(`${dir}/torn`, (db) => {
      assertEquals(db.recovery.tornTail?.offset, 0x106);
      assertEquals(docs(db), [["1", { a: 1 }], ["2", { a: 2 }]]);
    });
    const damaged = golden.slice();
    damaged[0x76 + 45] ^= 1;
    const path = place("damaged", damaged);
    const error = await assertRejectsCode(() => openDatabase(`${dir}/damaged`), "corruption");
    assertEquals(
      error.message,
      `Cannot replay WAL segment "${segmentFileName(1)}": checksum mismatch at offset 118`,
    );
    assertEquals(error.location?.file, path);
  });
});
