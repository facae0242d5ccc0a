/**
 * Recovery of the WAL after crashes and damage, on crash images (tests/_util/temp_db.ts): every case
 * of the recovery table in engine/db/recovery.ts and docs/storage-format.md, plus salvage.
 */
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { seededRandom } from "../../_util/random.ts";
import { crashImage, walFiles, withDatabase, withTempDir } from "../../_util/temp_db.ts";
import { type Database, type DatabaseOptions, openDatabase } from "../../../engine/db/database.ts";
import { CorruptionError } from "../../../engine/disk_errors.ts";
import { WAL_SEGMENT_BYTES_MIN } from "../../../engine/limits.ts";
import { batch, Store } from "../../../engine/db/store.ts";
import { decodeFrame, FrameKind, SEGMENT_HEADER_BYTES } from "../../../engine/wal/format.ts";

const SMALL_SEGMENTS: DatabaseOptions = { walSegmentBytes: WAL_SEGMENT_BYTES_MIN };

/** A frame's place in a segment file. */
interface FrameAt {
  offset: number;
  bytes: number;
  lsn: number;
  kind: number;
}

/** The valid frames of a segment file, in order, up to the first invalid one. */
function framesOf(path: string): FrameAt[] {
  const bytes = Deno.readFileSync(path);
  const frames: FrameAt[] = [];
  let offset = SEGMENT_HEADER_BYTES;
  while (true) {
    const frame = decodeFrame(bytes, offset, bytes.length);
    if (typeof frame === "string") return frames;
    const size = 40 + frame.value.length;
    frames.push({ offset, bytes: size, lsn: frame.lsn, kind: frame.kind });
    offset += size;
  }
}

/** A document's new version: `put`, or `insert` (a put of a key with no live version: engine/db/database.ts). */
function isDocFrame(kind: number): boolean {
  return kind === FrameKind.put || kind === FrameKind.insert;
}

/** The numbers `i` of the documents {i} in store "docs", in key order. */
function present(db: Database): number[] {
  return new Store(db, "docs").scan().map(({ doc }) => doc.i as number);
}

/**
 * Writes puts of {i} under key i for every i in `singles` (one group each), then one batch group
 * with keys `batchKeys`, and returns a crash image of the result.
 */
async function writeImage(
  dir: string,
  options: DatabaseOptions,
  groups: { singles: number; batchKeys?: number[]; padBytes?: number },
): Promise<string> {
  const image = `${dir}/image`;
  await withDatabase(`${dir}/db`, options, async (db) => {
    await db.createStore("docs");
    const docs = new Store(db, "docs");
    const pad = "p".repeat(groups.padBytes ?? 0);
    for (let i = 0; i < groups.singles; i++) await docs.put(BigInt(i), { i, pad });
    const keys = groups.batchKeys ?? [];
    if (keys.length > 0) {
      await batch(db, keys.map((i) => ({ op: "put", store: "docs", key: BigInt(i), doc: { i } })));
    }
    await crashImage(db, image);
  });
  return image;
}

function truncate(path: string, length: number): void {
  Deno.truncateSync(path, length);
}

function append(path: string, bytes: Uint8Array): void {
  const file = Deno.openSync(path, { append: true });
  try {
    file.writeSync(bytes);
  } finally {
    file.close();
  }
}

function flipByte(path: string, offset: number): void {
  const bytes = Deno.readFileSync(path);
  bytes[offset] ^= 0x5a;
  Deno.writeFileSync(path, bytes);
}

/** Opening `dir` fails with a CorruptionError naming `path` and `offset`. */
async function expectCorruption(
  dir: string,
  path: string,
  offset: number,
  reason: string,
): Promise<CorruptionError> {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const error = await assertRejectsCode(() => openDatabase(dir), "corruption", `"${name}"`);
  assert(error instanceof CorruptionError, "a CorruptionError");
  assert(error.message.includes(`at offset ${offset}`), `offset ${offset} in: ${error.message}`);
  assert(error.message.includes(reason), `"${reason}" in: ${error.message}`);
  assertEquals(error.location.file, path);
  assertEquals(error.location.offset, offset);
  return error;
}

/** Opens `dir` (cut torn tail), checks what it holds, and checks a crash image of it replays cleanly. */
async function expectTornTail(
  dir: string,
  expected: number[],
  torn: { file: string; offset: number },
): Promise<void> {
  await withDatabase(dir, {}, async (db) => {
    const tornTail = db.recovery.tornTail;
    assert(tornTail !== null, "tornTail is reported");
    assertEquals({ file: tornTail.file, offset: tornTail.offset }, torn);
    assert(tornTail.bytes > 0);
    assertEquals(present(db), expected);
    assertEquals(Deno.statSync(torn.file).size, torn.offset, "the torn tail is cut");
    await new Store(db, "docs").put(1000n, { i: 1000 });
    await crashImage(db, `${dir}.again`);
  });
  await withDatabase(`${dir}.again`, {}, (db) => {
    assertEquals(db.recovery.tornTail, null, "a later reopen is clean");
    assertEquals(present(db), [...expected, 1000]);
  });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

Deno.test("recoverWal replays every committed group of a crash image", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, {}, { singles: 10, batchKeys: [20, 21, 22] });
    await withDatabase(image, {}, (db) => {
      assertEquals(present(db), [...range(10), 20, 21, 22]);
      assertEquals(db.recovery.groups, 12);
      assertEquals(db.recovery.tornTail, null);
      assertEquals(db.recovery.lost, null);
      assertEquals(db.lastLsn, 2 + 10 * 2 + 4);
    });
  });
});

Deno.test("recoverWal cuts a last segment truncated mid-frame as a torn tail", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, {}, { singles: 10, batchKeys: [20, 21, 22] });
    const [path] = walFiles(image);
    const frames = framesOf(path);
    const lastGroup = frames[frames.length - 4]; // the batch: three puts and a commit marker
    truncate(path, frames[frames.length - 2].offset + 17); // inside the batch's third put
    await expectTornTail(image, range(10), { file: path, offset: lastGroup.offset });
  });
});

Deno.test("recoverWal cuts garbage appended after the last commit marker as a torn tail", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, {}, { singles: 5 });
    const [path] = walFiles(image);
    const end = Deno.statSync(path).size;
    const random = seededRandom(1);
    append(path, Uint8Array.from({ length: 777 }, () => Math.floor(random() * 256)));
    await expectTornTail(image, range(5), { file: path, offset: end });
  });
});

Deno.test("recoverWal reads zeros after the last commit marker as preallocated space, not a torn tail", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, {}, { singles: 5 });
    const [path] = walFiles(image);
    const end = Deno.statSync(path).size;
    append(path, new Uint8Array(4096)); // what WAL preallocation leaves after a crash
    await withDatabase(image, {}, async (db) => {
      assertEquals(db.recovery.tornTail, null);
      assertEquals(present(db), range(5));
      assertEquals(Deno.statSync(path).size, end, "the zeros are cut before appending");
      await new Store(db, "docs").put(1000n, { i: 1000 });
      await crashImage(db, `${image}.again`);
    });
    await withDatabase(`${image}.again`, {}, (db) => {
      assertEquals(db.recovery.tornTail, null);
      assertEquals(present(db), [...range(5), 1000]);
    });
  });
});

Deno.test("recoverWal discards a last group cut just before its commit marker", async () => {
  for (const batchKeys of [[20], [20, 21, 22]]) {
    await withTempDir(async (dir) => {
      const image = await writeImage(dir, {}, { singles: 6, batchKeys });
      const [path] = walFiles(image);
      const frames = framesOf(path);
      const marker = frames[frames.length - 1];
      assertEquals(marker.kind, FrameKind.commit);
      truncate(path, marker.offset);
      const groupStart = frames[frames.length - 1 - batchKeys.length].offset;
      await expectTornTail(image, range(6), { file: path, offset: groupStart });
    });
  }
});

Deno.test("recoverWal treats a damaged final commit marker like a torn write", async () => {
  // Nothing valid follows it, so it cannot be told from a torn write: the group is dropped.
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, {}, { singles: 6 });
    const [path] = walFiles(image);
    const frames = framesOf(path);
    flipByte(path, frames[frames.length - 1].offset + 30);
    await expectTornTail(image, range(5), { file: path, offset: frames[frames.length - 2].offset });
  });
});

Deno.test("recoverWal throws CorruptionError naming file and offset for a bad frame before valid ones", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, {}, { singles: 10 });
    const [path] = walFiles(image);
    const damaged = framesOf(path).find((f) => isDocFrame(f.kind) && f.lsn === 11)!; // put of i = 4
    flipByte(path, damaged.offset + damaged.bytes - 3);
    await expectCorruption(image, path, damaged.offset, "checksum mismatch");
    flipByte(path, damaged.offset + damaged.bytes - 3); // repaired: opens again (the lock was released)
    await withDatabase(image, {}, (db) => assertEquals(present(db), range(10)));
  });
});

Deno.test("recoverWal throws CorruptionError for damage in a segment before the last", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, SMALL_SEGMENTS, { singles: 60, padBytes: 3000 });
    const files = walFiles(image);
    assert(files.length >= 3, `several segments: ${files.length}`);
    const frames = framesOf(files[0]);
    const damaged = frames[Math.floor(frames.length / 2)];
    flipByte(files[0], damaged.offset + 20);
    await expectCorruption(image, files[0], damaged.offset, "checksum mismatch");
  });
});

Deno.test("recoverWal throws CorruptionError for a torn end of a segment before the last", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, SMALL_SEGMENTS, { singles: 60, padBytes: 3000 });
    const files = walFiles(image);
    const frames = framesOf(files[0]);
    // Cut segment 1 inside its last frame: not the end of the log, so not a torn tail.
    truncate(files[0], frames[frames.length - 1].offset + 10);
    await expectCorruption(image, files[0], frames[frames.length - 1].offset, "past the end of the file");
    // Cut it exactly before its last commit marker: a group without marker before a later segment.
    truncate(files[0], frames[frames.length - 1].offset);
    await expectCorruption(image, files[0], frames[frames.length - 2].offset, "group without commit marker");
  });
});

Deno.test("recoverWal throws CorruptionError when a middle segment is missing", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, SMALL_SEGMENTS, { singles: 60, padBytes: 3000 });
    const files = walFiles(image);
    assert(files.length >= 3, `several segments: ${files.length}`);
    Deno.removeSync(files[1]);
    await expectCorruption(image, files[2], 0, "a segment is missing");
  });
});

Deno.test("recoverWal throws CorruptionError for a segment before the last shorter than its header", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, SMALL_SEGMENTS, { singles: 60, padBytes: 3000 });
    const files = walFiles(image);
    truncate(files[1], 20);
    await expectCorruption(image, files[1], 0, "shorter than a segment header");
  });
});

Deno.test("recoverWal removes a last segment shorter than its header (torn creation)", async () => {
  for (const length of [0, 20, SEGMENT_HEADER_BYTES - 1]) {
    await withTempDir(async (dir) => {
      const image = await writeImage(dir, {}, { singles: 4 });
      const [path] = walFiles(image);
      const torn = path.replace("0000000000000001.wal", "0000000000000002.wal");
      Deno.writeFileSync(torn, Deno.readFileSync(path).subarray(0, length));
      await withDatabase(image, {}, async (db) => {
        assertEquals(present(db), range(4));
        assertEquals(walFiles(image), [path], `the ${length}-byte segment is removed`);
        await new Store(db, "docs").put(9n, { i: 9 });
        assertEquals(present(db), [...range(4), 9]);
      });
    });
  }
});

Deno.test("openDatabase with salvage opens at a mid-segment corruption and moves the rest to wal/lost", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, {}, { singles: 10 });
    const [path] = walFiles(image);
    const size = Deno.statSync(path).size;
    const damaged = framesOf(path).find((f) => f.lsn === 11)!; // put of i = 4 (LSN 3 + 2 * 4)
    const cutAt = damaged.offset; // the group is one put and its marker: it starts at the put
    flipByte(path, damaged.offset + 44);
    await withDatabase(image, { salvage: true }, async (db) => {
      const lost = db.recovery.lost;
      assert(lost !== null, "lost is reported");
      assertEquals([lost.file, lost.offset, lost.bytes, lost.segments], [
        path,
        damaged.offset,
        size - cutAt,
        [],
      ]);
      assert(lost.reason.includes("checksum mismatch"), lost.reason);
      assertEquals(lost.movedTo, `${image}/wal/lost`);
      const moved = [...Deno.readDirSync(lost.movedTo)];
      assertEquals(moved.length, 1);
      assert(moved[0].name.startsWith("0000000000000001.wal.from-"), moved[0].name);
      assertEquals(Deno.statSync(`${lost.movedTo}/${moved[0].name}`).size, lost.bytes);
      assertEquals(present(db), range(4), "data before the damage is readable");
      await new Store(db, "docs").put(50n, { i: 50 });
      await crashImage(db, `${image}.again`);
    });
    await withDatabase(`${image}.again`, {}, (db) => {
      assertEquals([db.recovery.lost, db.recovery.tornTail], [null, null], "reopens cleanly without salvage");
      assertEquals(present(db), [...range(4), 50]);
    });
    await withDatabase(image, {}, (db) => assertEquals(present(db), [...range(4), 50]));
  });
});

Deno.test("openDatabase with salvage moves later segments whole after a corruption in an earlier one", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, SMALL_SEGMENTS, { singles: 60, padBytes: 3000 });
    const files = walFiles(image);
    assert(files.length >= 3, `several segments: ${files.length}`);
    const frames = framesOf(files[1]);
    const damaged = frames[4]; // a put: a segment starts with a group, and frames alternate put, commit
    assert(isDocFrame(damaged.kind), `a document frame: kind ${damaged.kind}`);
    flipByte(files[1], damaged.offset + 8); // the LSN field
    const laterBytes = files.slice(2).reduce((sum, f) => sum + Deno.statSync(f).size, 0);
    const tailBytes = Deno.statSync(files[1]).size - damaged.offset;
    await expectCorruption(image, files[1], damaged.offset, "checksum mismatch");
    await withDatabase(image, { ...SMALL_SEGMENTS, salvage: true }, async (db) => {
      const lost = db.recovery.lost!;
      assertEquals([lost.file, lost.offset], [files[1], damaged.offset]);
      assertEquals(lost.segments, files.slice(2).map((f) => f.slice(f.lastIndexOf("/") + 1)));
      assertEquals(lost.bytes, tailBytes + laterBytes);
      const movedBytes = [...Deno.readDirSync(lost.movedTo)]
        .reduce((sum, e) => sum + Deno.statSync(`${lost.movedTo}/${e.name}`).size, 0);
      assertEquals(movedBytes, lost.bytes);
      assertEquals(walFiles(image), files.slice(0, 2));
      const kept = present(db);
      const firstLost = (damaged.lsn - 3) / 2; // put i has LSN 3 + 2i
      assertEquals(kept, range(firstLost), "data before the damage is readable");
      for (let i = 0; i < 40; i++) {
        await new Store(db, "docs").put(BigInt(100 + i), { i: 100 + i, p: "q".repeat(3000) });
      }
      assert(walFiles(image).length >= 3, "rotation after salvage creates new segments");
      await crashImage(db, `${image}.again`);
    });
    await withDatabase(`${image}.again`, SMALL_SEGMENTS, (db) => {
      assertEquals([db.recovery.lost, db.recovery.tornTail], [null, null]);
      assertEquals(present(db).length, (damaged.lsn - 3) / 2 + 40);
    });
  });
});

Deno.test("openDatabase with salvage moves a segment that follows a missing one", async () => {
  await withTempDir(async (dir) => {
    const image = await writeImage(dir, SMALL_SEGMENTS, { singles: 60, padBytes: 3000 });
    const files = walFiles(image);
    const kept = framesOf(files[0]).filter((f) => isDocFrame(f.kind)).length;
    Deno.removeSync(files[1]);
    await withDatabase(image, { ...SMALL_SEGMENTS, salvage: true }, (db) => {
      const lost = db.recovery.lost!;
      assertEquals([lost.file, lost.offset], [files[2], 0]);
      assert(lost.reason.includes("a segment is missing"), lost.reason);
      assertEquals(present(db), range(kept));
    });
  });
});

Deno.test("recovery replays insert frames (new keys in indexed stores) with the same index entries", async () => {
  const { transaction } = await import("../../../engine/tx/transaction.ts");
  const { executeQuery } = await import("../../../engine/exec/executor.ts");
  const dir = await Deno.makeTempDir({ prefix: "planck_insert_frames_" });
  try {
    const db = await openDatabase(dir);
    await db.createStore("docs");
    await db.createIndex("docs_status", "docs", [{ path: "status", direction: "asc" }]);
    const keys: string[] = [];
    await transaction(db, (tx) => {
      for (let i = 0; i < 50; i++) keys.push(tx.store("docs").insert({ status: i % 2 ? "a" : "b" }));
    });
    // A put over an existing key stays a put (its old index entry must go); a new key is an insert.
    await transaction(db, (tx) => {
      tx.store("docs").put(keys[0], { status: "c" });
      tx.store("docs").put("f".repeat(32), { status: "c" });
    });
    const kinds = new Set<number>();
    for (const path of [...Deno.readDirSync(`${dir}/wal`)].map((e) => `${dir}/wal/${e.name}`)) {
      for (const frame of framesOf(path)) kinds.add(frame.kind);
    }
    assert(kinds.has(FrameKind.insert) && kinds.has(FrameKind.put), `frame kinds ${[...kinds]}`);
    const count = (status: string) =>
      executeQuery(db, { op: "count", store: "docs", filter: { field: "status", op: "eq", value: status } });
    const before = [await count("a"), await count("b"), await count("c")];
    const image = await crashImage(db, `${dir}-image`);
    await db.close();
    const reopened = await openDatabase(image);
    assert(reopened.recovery.groups >= 2, "the groups were replayed from the WAL");
    const after = await Promise.all(
      ["a", "b", "c"].map((s) =>
        executeQuery(reopened, {
          op: "count",
          store: "docs",
          filter: { field: "status", op: "eq", value: s },
        })
      ),
    );
    assertEquals(after, before);
    assertEquals(before.map((r) => (r as { count: number }).count), [25, 24, 2]);
    await reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${dir}-image`, { recursive: true }).catch(() => {});
  }
});
