/**
 * Applying replicated runs as received (engine/db/replicated.ts `applyReplicatedRun` over
 * append_encoded.ts): a replica fed the primary's catch-up runs — random byte budgets, runs that
 * overlap what it already holds, segments of another size than the primary's, memtables that freeze
 * mid-stream — ends with the primary's documents and index entries, and a WAL that holds the
 * primary's groups byte for byte at the same LSNs; it opens again (recovery) to the same state; a run
 * that does not follow the last LSN is refused without changing anything.
 */
import { BSON } from "bson";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withDatabase, withTempDir } from "../../_util/temp_db.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { batch, type WriteOp } from "../../../engine/db/store.ts";
import type { Database } from "../../../engine/db/database.ts";
import { applyReplicatedRun } from "../../../engine/db/replicated.ts";
import { WalGroups } from "../../../engine/changes/wal_groups.ts";
import { decodeGroups, encodeGroups } from "../../../engine/wal/group_bytes.ts";
import { scanSegment } from "../../../engine/wal/reader.ts";

/** Catch-up reads from the primary's segment files (no in-memory tail). */
function diskGroups(db: Database): WalGroups {
  return new WalGroups({
    segments: () => db.walSegments(),
    durableLsn: () => db.durableLsn,
    lastLsn: () => db.lastLsn,
    waitDurable: (lsn) => db.waitDurable(lsn),
  });
}

/** Every committed group of a WAL, encoded back to back (what a full scan of each segment finds). */
async function walBytes(db: Database): Promise<Uint8Array> {
  const groups = [];
  for (const segment of db.walSegments()) {
    groups.push(...scanSegment(await Deno.readFile(segment.path), 0).groups);
  }
  return encodeGroups(groups);
}

/** Every store's and index's entries, by name, as hex. */
function contents(db: Database): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const store of db.listStores()) {
    out[store.name] = [...db.scan(store.id)].map(([key, value]) => `${key}=${BSON.deserialize(value).n}`);
  }
  for (const index of db.listIndexes()) {
    out[`index:${index.name}`] = [...db.indexScan(index.id)];
  }
  return out;
}

/** Random durable groups on two stores: inserts, overwrites and deletes, some large documents. */
async function write(db: Database, random: () => number, groups: number): Promise<void> {
  const keys: [string, string][] = [];
  for (let g = 0; g < groups; g++) {
    const ops: WriteOp[] = [];
    const count = 1 + Math.floor(random() * 4);
    for (let i = 0; i < count; i++) {
      const store = random() < 0.7 ? "a" : "b";
      const size = random() < 0.03 ? 20_000 + Math.floor(random() * 30_000) : 10 + Math.floor(random() * 300);
      const doc = BSON.serialize({ n: g, u: Math.floor(random() * 50), body: "x".repeat(size) });
      const old = keys.length > 0 && random() < 0.3 ? keys[Math.floor(random() * keys.length)] : undefined;
      if (old !== undefined && old[0] === store && random() < 0.4) {
        ops.push({ op: "delete", store, key: old[1] });
      } else if (old !== undefined && old[0] === store) ops.push({ op: "put", store, key: old[1], doc });
      else ops.push({ op: "insert", store, doc });
    }
    const seen = new Set<string>();
    const unique = ops.filter((op) => {
      const id = `${op.store}/${"key" in op ? op.key : Math.random()}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    const result = await batch(db, unique);
    unique.forEach((op, i) => {
      if (op.op === "insert" && result.keys[i] !== null) keys.push([op.store, result.keys[i]!]);
    });
  }
}

Deno.test("a replica fed catch-up runs as received equals the primary, WAL byte for byte, and reopens", async () => {
  await forEachSeed("replicated_runs", async (seed) => {
    const random = seededRandom(seed);
    await withTempDir(async (dir) => {
      await withDatabase(`${dir}/primary`, { walSegmentBytes: 160 * 1024 }, async (primary) => {
        await primary.createStore("a");
        await primary.createStore("b");
        await primary.createIndex("a_u", "a", [{ path: "u", direction: "asc" }]);
        await write(primary, random, 400);
        const source = diskGroups(primary);
        // Smaller segments than the primary's (runs are cut at rotations), and memtables that freeze.
        const options = {
          walSegmentBytes: 64 * 1024,
          memtableBytes: 64 * 1024,
          walCheckpointBytes: 128 * 1024,
          durability: "interval:5",
        };
        await withDatabase(`${dir}/replica`, options, async (replica) => {
          // A run that does not follow the replica's last LSN is refused and changes nothing.
          const first = await source.read(0, { maxBytes: 1, waitMs: 0 });
          const later = await source.read(first.lastLsn, { maxBytes: 1, waitMs: 0 });
          const gap = later.bytes.slice();
          await assertRejectsCode(
            () => applyReplicatedRun(replica, gap, decodeGroups(gap, first.lastLsn + 1)),
            "conflict",
            "does not follow the last LSN 0",
          );
          assertEquals(replica.lastLsn, 0);
          const ends = [0]; // the group ends the replica holds
          let runs = 0;
          let overlaps = 0;
          while (replica.lastLsn < primary.lastLsn) {
            // Sometimes from an earlier group end, as a request resent after a lost answer asks.
            const earlier = ends.length > 1 && random() < 0.2;
            const since = earlier ? ends[Math.floor(random() * ends.length)] : replica.lastLsn;
            const run = await source.read(since, { maxBytes: 1 + Math.floor(random() * 120_000), waitMs: 0 });
            const bytes = run.bytes.slice(); // a buffer of its own, as each wire frame is
            const groups = decodeGroups(bytes, since + 1);
            const held = replica.lastLsn;
            const fresh = groups.filter((group) => group.commitLsn > held);
            assertEquals(applyReplicatedRun(replica, bytes, groups), fresh.length, "groups held are skipped");
            for (const group of fresh) ends.push(group.commitLsn);
            if (earlier && fresh.length < groups.length) overlaps++;
            runs++;
          }
          assert(runs > 20 && overlaps > 0, `runs ${runs}, overlaps ${overlaps}`);
          assert(replica.walSegments().length > 3, "the replica's WAL spans several segments");
          assert(replica.stats().flushes > 0, "the replica's memtable froze and flushed while it applied");
          assertEquals(replica.lastLsn, primary.lastLsn);
          assertEquals(contents(replica), contents(primary));
          await replica.sync();
          assertEquals(
            await walBytes(replica),
            await walBytes(primary),
            "the primary's groups, byte for byte",
          );
        });
        await withDatabase(`${dir}/replica`, options, (reopened) => {
          assertEquals(reopened.lastLsn, primary.lastLsn, "recovery finds every replicated LSN");
          assertEquals(contents(reopened), contents(primary));
        });
      });
    });
  });
});
