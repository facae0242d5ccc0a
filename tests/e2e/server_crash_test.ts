/**
 * Crash rounds against a real server: `planck start` runs in a subprocess under a mixed load over the
 * wire — inserts, puts, updates, replaces, deletes and multi-document transactions from several
 * writers, and indexes created and dropped — with a small memtable and small value-log segments
 * (PLANCK_VLOG_SEGMENT_BYTES) so flushes, and value-log GC after them, happen while it writes; even
 * rounds slow the tiers down so kills land mid-flush and mid-GC. It is SIGKILLed at a random moment,
 * and the data directory is opened in this process and checked:
 *   - every acknowledged write is there, byte for byte (document compared as a canonical object);
 *   - nothing unacknowledged appears beyond each writer's in-flight request, and an in-flight
 *     transaction is there whole or not at all;
 *   - every index holds exactly the entries its store's documents imply (once an index the crash caught
 *     "building" has been backfilled again); every index whose creation was acknowledged (and not
 *     dropped) exists;
 *   - the open time is printed (median and slowest over all rounds, and how many took 200 ms or more:
 *     reported, not asserted).
 * Every third round the checker also forces a flush and a value-log GC on the reopened directory
 * before the next server starts on it. Value-log segments that disappear between rounds (collected
 * by a GC) are counted and printed.
 * Rounds accumulate in one directory. PLANCK_SERVER_CRASH_ROUNDS sets the rounds (default 50; 1,000 on
 * demand), PLANCK_SEED the kill moments and the load.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { seededRandom, testSeed } from "../_util/random.ts";
import { spawnServer } from "../host/test_server.ts";
import { connect, type PlanckClient } from "../../client/mod.ts";
import { openDatabase } from "../../engine/db/database.ts";
import { decodeDocument } from "../../engine/document.ts";

const ROUNDS = Number(Deno.env.get("PLANCK_SERVER_CRASH_ROUNDS") ?? 50);
const WRITERS = 3;
const STORE = "crash";
/** Keys each writer cycles through (small, so updates and deletes hit existing documents). */
const KEYS_PER_WRITER = 40;

/** Value-log segment size the server runs with, so segments seal and GC has work under load. */
const VLOG_SEGMENT_BYTES = 16 * 1024;

/** The value-log segment numbers in `dir`. */
function vlogSegments(dir: string): Set<string> {
  const out = new Set<string>();
  for (const entry of Deno.readDirSync(`${dir}/vlog`)) {
    const match = /^(\d{16})\.vlog$/.exec(entry.name);
    if (match !== null) out.add(match[1]);
  }
  return out;
}

/** What a key may hold after a crash: the acknowledged state, or the in-flight one. */
type Value = Record<string, unknown> | null;

interface Model {
  /** Acknowledged state per key (null: absent). */
  acked: Map<string, Value>;
  /** The request in flight when the server died: its keys and their values if it was applied. */
  inflight: Map<string, Value> | null;
  /** Requests acknowledged so far. */
  requests: number;
}

function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
        : typeof v === "bigint"
        ? `${v}n`
        : v,
  );
}

function keyOf(writer: number, n: number): string {
  return (writer + 1).toString(16).padStart(8, "0") + n.toString(16).padStart(24, "0");
}

/** One writer's load until the connection dies; returns its model changes. */
async function writer(client: PlanckClient, w: number, model: Model, random: () => number): Promise<void> {
  for (let n = 0;; n++) {
    const ops: { op: string; key: string; doc?: Record<string, unknown>; set?: Record<string, unknown> }[] =
      [];
    const next = new Map<string, Value>();
    const current = (key: string) => next.has(key) ? next.get(key)! : model.acked.get(key) ?? null;
    const count = random() < 0.2 ? 2 + Math.floor(random() * 3) : 1;
    for (let i = 0; i < count; i++) {
      const key = keyOf(w, Math.floor(random() * KEYS_PER_WRITER));
      const old = current(key);
      const r = random();
      if (old === null || r < 0.4) {
        const doc = {
          w,
          n,
          i,
          status: r < 0.2 ? "open" : "paid",
          pad: "p".repeat(Math.floor(random() * 2000)),
        };
        // A new key: insert (conflict if present) or put; an existing one: put or replace.
        const op = old === null ? (r < 0.5 ? "insert" : "put") : (r < 0.2 ? "replace" : "put");
        ops.push({ op, key, doc });
        next.set(key, doc);
      } else if (r < 0.75) {
        const set = { status: random() < 0.5 ? "open" : "shipped", n };
        ops.push({ op: "update", key, set });
        next.set(key, { ...old, ...set });
      } else {
        ops.push({ op: "delete", key });
        next.set(key, null);
      }
    }
    model.inflight = next;
    try {
      if (ops.length === 1) {
        const { op, ...fields } = ops[0];
        await client.request(op, { store: STORE, ...fields });
      } else {
        await client.request("transaction", { ops: ops.map((o) => ({ ...o, store: STORE })) });
      }
    } catch {
      return; // the server died (or the client was closed): this request stays in flight
    }
    for (const [key, value] of next) model.acked.set(key, value);
    model.inflight = null;
    model.requests++;
  }
}

/** Creates and drops indexes until the connection dies; the acknowledged set of live ones. */
async function indexer(client: PlanckClient, round: number, live: Set<string>, random: () => number) {
  for (let n = 0;; n++) {
    try {
      if (live.size > 0 && random() < 0.4) {
        const name = [...live][Math.floor(random() * live.size)];
        live.delete(name); // dropped or in flight: may or may not exist afterwards
        await client.request("dropIndex", { name });
      } else {
        const name = `by_status_${round}_${n}`;
        await client.request("createIndex", {
          name,
          store: STORE,
          fields: [{ path: random() < 0.5 ? "status" : "n", direction: "asc" }],
          unique: false,
        });
        live.add(name);
      }
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20 + Math.floor(random() * 60)));
  }
}

Deno.test(`server crash: SIGKILL under mixed load loses no acknowledged write (${ROUNDS} rounds)`, async () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const dir = await Deno.makeTempDir({ prefix: "planck_server_crash_" });
  const config = `${dir}.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ memtable_bytes: 64 * 1024, wal_segment_bytes: 64 * 1024 }),
  );
  const models: Model[] = Array.from(
    { length: WRITERS },
    () => ({ acked: new Map(), inflight: null, requests: 0 }),
  );
  const indexes = new Set<string>();
  let acknowledged = 0, kills = 0, forcedGcSegments = 0, collectedSegments = 0, forcedFlushes = 0;
  const openMs: number[] = [];
  let segmentsBefore = new Set<string>();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const env: Record<string, string> = { PLANCK_VLOG_SEGMENT_BYTES: String(VLOG_SEGMENT_BYTES) };
      if (round % 2 === 0) env.PLANCK_SLOW_TIERS_MS = "2";
      const server = await spawnServer(dir, { args: ["--config", config], env });
      const client = await connect(server.admin);
      if (round === 1) await client.request("createStore", { store: STORE });
      const load = [
        ...models.map((m, w) => writer(client, w, m, seededRandom(seed + round * 100 + w))),
        indexer(client, round, indexes, seededRandom(seed + round * 100 + 99)),
      ];
      await new Promise((r) => setTimeout(r, 30 + Math.floor(random() * 300)));
      await server.stop("SIGKILL");
      kills++;
      client.close();
      await Promise.all(load);

      const t0 = performance.now();
      const db = await openDatabase(dir, { vlogSegmentBytes: VLOG_SEGMENT_BYTES });
      openMs.push(performance.now() - t0);
      const segmentsNow = vlogSegments(dir);
      const newest = Math.max(0, ...[...segmentsNow].map(Number));
      for (const name of segmentsBefore) {
        if (!segmentsNow.has(name) && Number(name) < newest) collectedSegments++;
      }
      try {
        const store = db.storeInfo(STORE);
        const found = new Map<string, string>();
        for (const [key, raw] of db.scan(store.id)) found.set(key, canonical(decodeDocument(raw)));
        const where = `seed ${seed} round ${round}`;
        for (const [w, model] of models.entries()) {
          const inflight = model.inflight;
          // An in-flight request is there whole or not at all.
          let applied: boolean | undefined;
          for (const [key, value] of inflight ?? []) {
            const acked = model.acked.get(key) ?? null;
            const have = found.get(key) ?? null;
            const isAcked = have === (acked === null ? null : canonical(acked));
            const isNew = have === (value === null ? null : canonical(value));
            assert(
              isAcked || isNew,
              `${where}: writer ${w} key ${key} holds neither its acknowledged nor its in-flight value`,
            );
            if (isAcked !== isNew) {
              assert(
                applied === undefined || applied === isNew,
                `${where}: writer ${w}'s in-flight transaction is partly there`,
              );
              applied = isNew;
            }
          }
          for (const [key, value] of model.acked) {
            if (inflight?.has(key)) continue;
            assertEquals(
              found.get(key) ?? null,
              value === null ? null : canonical(value),
              `${where}: writer ${w} key ${key}`,
            );
          }
          // The outcome of the in-flight request is now known: the model follows the disk.
          if (inflight !== null) {
            if (applied === true) { for (const [key, value] of inflight) model.acked.set(key, value); }
            model.inflight = null;
          }
        }
        for (const key of found.keys()) {
          const w = parseInt(key.slice(0, 8), 16) - 1;
          assert(w >= 0 && w < WRITERS && models[w].acked.has(key), `${where}: key ${key} was never written`);
        }
        for (const name of indexes) {
          assert(db.indexInfo(name) !== undefined, `${where}: acknowledged index ${name} lost`);
        }
        // An index the crash caught "building" is backfilled again after the open: wait for it.
        while (db.listIndexes(STORE).some((index) => index.state !== "ready")) {
          await new Promise((r) => setTimeout(r, 10));
        }
        for (const index of db.listIndexes(STORE)) {
          const expected = new Set<string>();
          for (const [key, raw] of db.scan(store.id)) {
            for (const entry of db.indexes.entries(index.id, decodeDocument(raw), key)) expected.add(entry);
          }
          const actual = new Set(db.indexScan(index.id));
          assertEquals(actual.size, expected.size, `${where}: index ${index.name} entry count`);
          for (const entry of expected) {
            assert(actual.has(entry), `${where}: index ${index.name} misses an entry`);
          }
        }
        // Indexes found but not acknowledged (in flight) are taken into the model.
        for (const index of db.listIndexes(STORE)) indexes.add(index.name);
        if (round % 3 === 0) { // forced: the next round starts from a flushed, collected directory
          await db.flush();
          forcedFlushes++;
          forcedGcSegments += (await db.gc({ ratio: 0.2 })).segments.length;
        }
      } finally {
        await db.close();
      }
      segmentsBefore = vlogSegments(dir);
    }
    acknowledged = models.reduce((n, m) => n + m.requests, 0);
    const sorted = openMs.sort((a, b) => a - b);
    console.log(
      `server crash: ${kills} SIGKILLs, ${acknowledged} acknowledged write requests checked, 0 lost; ` +
        `${collectedSegments} value-log segments collected by the server's GC between rounds, ` +
        `${forcedFlushes} forced flushes, ${forcedGcSegments} segments collected by forced GC; open ` +
        `median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, slowest ${
          sorted.at(-1)!.toFixed(0)
        } ms, ` +
        `${sorted.filter((ms) => ms >= 200).length} of ${sorted.length} at 200 ms or more (seed ${seed})`,
    );
    assert(acknowledged > 0, "some writes were acknowledged");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(config).catch(() => {});
  }
});
