/** The archive clock file (engine/wal/archive_clock.ts): its bytes, a torn tail, and the time lookup. */
import { assertEquals } from "../../_util/assert.ts";
import {
  CLOCK_HEADER_BYTES,
  CLOCK_RECORD_BYTES,
  clockHeader,
  decodeClock,
  encodeMarks,
  lsnAtTime,
} from "../../../engine/wal/archive_clock.ts";
import { WalArchive } from "../../../engine/wal/archive.ts";

function file(marks: { lsn: number; ms: number }[]): Uint8Array {
  const records = encodeMarks(marks);
  const bytes = new Uint8Array(CLOCK_HEADER_BYTES + records.length);
  bytes.set(clockHeader(), 0);
  bytes.set(records, CLOCK_HEADER_BYTES);
  return bytes;
}

Deno.test("clock file: header and record bytes as documented", () => {
  const bytes = file([{ lsn: 15, ms: 1_700_000_000_000 }]);
  assertEquals(bytes.length, 16 + 24);
  assertEquals([...bytes.subarray(0, 16)], [
    0x50,
    0x4c,
    0x4e,
    0x4b,
    0x43,
    0x4c,
    0x4b,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const view = new DataView(bytes.buffer);
  assertEquals(view.getUint32(20, true), 0);
  assertEquals(view.getBigUint64(24, true), 15n);
  assertEquals(view.getBigUint64(32, true), 1_700_000_000_000n);
  assertEquals(decodeClock(bytes), {
    marks: [{ lsn: 15, ms: 1_700_000_000_000 }],
    validBytes: 40,
    fault: null,
  });
});

Deno.test("clock file: a torn or damaged record ends it; lsnAtTime takes the last mark at or before a time", () => {
  const marks = [{ lsn: 3, ms: 100 }, { lsn: 9, ms: 200 }, { lsn: 12, ms: 300 }];
  const bytes = file(marks);
  const torn = decodeClock(bytes.subarray(0, bytes.length - 5));
  assertEquals([torn.marks.length, torn.validBytes], [2, CLOCK_HEADER_BYTES + 2 * CLOCK_RECORD_BYTES]);
  const flipped = bytes.slice();
  flipped[CLOCK_HEADER_BYTES + CLOCK_RECORD_BYTES + 9] ^= 1;
  assertEquals(decodeClock(flipped).marks, [marks[0]]);
  assertEquals([lsnAtTime(marks, 99), lsnAtTime(marks, 100), lsnAtTime(marks, 299), lsnAtTime(marks, 1e15)], [
    null,
    3,
    9,
    12,
  ]);
});

Deno.test("WalArchive.mark appends marks that only move forward, after cutting a torn tail", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_clock_" });
  try {
    await Deno.writeFile(`${dir}/clock`, file([{ lsn: 5, ms: 1000 }]).subarray(0, 16 + 24 + 7)); // torn
    const archive = new WalArchive({ dir, retentionBytes: 0, retentionAgeMs: 0 });
    archive.mark(4, 2000); // behind the file's last mark: dropped
    archive.mark(8, 500); // a clock that went back: kept at the latest time seen
    archive.mark(8, 3000); // no progress: ignored
    archive.mark(11, 4000);
    await archive.idle();
    const read = decodeClock(await Deno.readFile(`${dir}/clock`));
    assertEquals(read.fault, null);
    assertEquals(read.marks, [{ lsn: 5, ms: 1000 }, { lsn: 8, ms: 2000 }, { lsn: 11, ms: 4000 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
