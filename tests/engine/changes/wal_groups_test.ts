/**
 * Replication's catch-up reads (engine/changes/wal_groups.ts over segment_runs.ts): runs read out of
 * the segment files, from any group end, with any byte budget, are exactly the WAL's own frames —
 * chained run after run they equal the groups a full scan of every segment finds, byte for byte, with
 * no LSN skipped or repeated — across small segments, preallocated zeros and groups larger than the
 * budget; a `since` inside a group is refused.
 */
import { BSON } from "bson";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withDatabase, withTempDir } from "../../_util/temp_db.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { batch } from "../../../engine/db/store.ts";
import type { Database } from "../../../engine/db/database.ts";
import { WalGroups } from "../../../engine/changes/wal_groups.ts";
import { encodeGroups } from "../../../engine/wal/group_bytes.ts";
import { type Group, scanSegment } from "../../../engine/wal/reader.ts";

/** Disk reads only: the in-memory tail never gets a group (record() is not called). */
function diskGroups(db: Database): WalGroups {
  return new WalGroups({
    segments: () => db.walSegments(),
    durableLsn: () => db.durableLsn,
    lastLsn: () => db.lastLsn,
    waitDurable: (lsn) => db.waitDurable(lsn),
  });
}

/** Every committed group of the WAL, by a full scan of each segment. */
async function allGroups(db: Database): Promise<Group[]> {
  const out: Group[] = [];
  for (const segment of db.walSegments()) {
    out.push(...scanSegment(await Deno.readFile(segment.path), 0).groups);
  }
  return out;
}

/** Random durable groups: 1–5 documents each, sometimes one larger than the read budgets below. */
async function write(db: Database, random: () => number, groups: number): Promise<void> {
  for (let g = 0; g < groups; g++) {
    const count = 1 + Math.floor(random() * 5);
    const ops = Array.from({ length: count }, (_, i) => {
      const size = random() < 0.05 ? 20_000 + Math.floor(random() * 40_000) : 10 + Math.floor(random() * 400);
      const doc = BSON.serialize({ g, i, body: "a".repeat(size) });
      return { op: "put" as const, store: "s", key: (g * 8 + i).toString(16).padStart(32, "0"), doc };
    });
    await batch(db, ops);
  }
}

for (const preallocate of [0, 64 * 1024]) {
  Deno.test(`catch-up runs equal the WAL's groups byte for byte (preallocate ${preallocate})`, async () => {
    await forEachSeed("wal_groups", async (seed) => {
      const random = seededRandom(seed);
      await withTempDir((dir) =>
        withDatabase(dir, { walSegmentBytes: 64 * 1024, walPreallocateBytes: preallocate }, async (db) => {
          await db.createStore("s");
          await write(db, random, 300);
          assert(db.walSegments().length > 3, "the writes span several segments");
          const expected = await allGroups(db);
          const source = diskGroups(db);
          // Chained runs from the start, each with its own budget.
          const parts: Uint8Array[] = [];
          let since = expected[0].frames[0].lsn - 1;
          let runs = 0;
          while (since < db.durableLsn) {
            const maxBytes = 1 + Math.floor(random() * 30_000);
            const run = await source.read(since, { maxBytes, waitMs: 0 });
            assert(run.groups > 0, `a run after LSN ${since}`);
            assertEquals(run.firstLsn, since + 1);
            parts.push(run.bytes);
            since = run.lastLsn;
            runs++;
          }
          assertSameBytes(concat(parts), encodeGroups(expected), `${runs} chained runs`);
          // Random group ends, in any order (the sparse index filled in above and on the way).
          for (let i = 0; i < 40; i++) {
            const at = Math.floor(random() * expected.length);
            const from = expected[at].commitLsn;
            const run = await source.read(from, { maxBytes: 50_000, waitMs: 0 });
            if (at === expected.length - 1) {
              assertEquals(run.groups, 0);
              continue;
            }
            // Whole groups from the next one on, within the budget (a run ends at its segment's end).
            let n = at + 1;
            let bytes = encodeGroups([expected[n]]).length;
            while (n + 1 < expected.length && bytes + encodeGroups([expected[n + 1]]).length <= 50_000) {
              n++;
              bytes += encodeGroups([expected[n]]).length;
            }
            const last = expected.findIndex((group) => group.commitLsn === run.lastLsn);
            assert(last > at && last <= n, `the run after LSN ${from} ends at a group within the budget`);
            assertSameBytes(
              run.bytes,
              encodeGroups(expected.slice(at + 1, last + 1)),
              `the run after LSN ${from}`,
            );
          }
          // Inside a group: refused, never a run that starts mid-group.
          const big = expected.find((group) => group.frames.length > 1)!;
          await assertRejectsCode(
            () => source.read(big.frames[0].lsn, { maxBytes: 50_000, waitMs: 0 }),
            "invalid_argument",
            "not the end of a committed group",
          );
        })
      );
    });
  });
}

/** Byte equality, naming the first difference (a diff of megabytes would take minutes to print). */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  if (at === actual.length && at === expected.length) return;
  throw new Error(
    `${what}: ${actual.length} bytes, expected ${expected.length}; first difference at offset ${at}`,
  );
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
