/**
 * Where replication's catch-up time goes, stage by stage, in one process (no sockets, no other
 * processes): the primary's WAL holds N single-insert groups like the bench's writers
 * (bench/replication/main.ts), and each stage a catch-up run passes through is timed alone over all
 * of them, in µs of wall and CPU time per LSN:
 *
 *   1. primary: read the runs out of the WAL segments (engine/changes/wal_groups.ts, from disk)
 *   2. primary: encode each run as a `replicate` response frame (protocol/frame.ts, BSON)
 *   3. replica: split the frames out of 64 KiB reads (FrameReader) and decode their BSON
 *   4. replica: check the runs (decodeGroups: CRCs, LSNs, whole groups)
 *   5. replica: apply them — per run (`applyReplicatedRun`: the bytes as received, one write per
 *      run), then per group (`applyReplicated`: encode again, one WAL write per group; it runs
 *      second, on code the first warmed up)
 *   6. replica: the fdatasync of everything applied
 *
 *   deno run -A bench/replication/catch_up_stages.ts [--groups=N] [--run-bytes=B]
 *
 * The machine is shared: figures carry the load average; compare stages within one run.
 */
import { cpuUsage } from "node:process";
import { BSON } from "bson";
import { type Database, openDatabase } from "../../engine/db/database.ts";
import { batch } from "../../engine/db/store.ts";
import { applyReplicated, applyReplicatedRun } from "../../engine/db/replicated.ts";
import { type GroupRun, WalGroups } from "../../engine/changes/wal_groups.ts";
import { decodeGroups } from "../../engine/wal/group_bytes.ts";
import { decodeFrame, encodeFrame, FrameReader } from "../../protocol/frame.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const GROUPS = Number(flag("groups") ?? 50_000);
const RUN_BYTES = Number(flag("run-bytes") ?? 4 * 1024 * 1024);
const READ_BYTES = 64 * 1024;
const FRAME_BYTES = 64 * 1024 * 1024;

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed<T>(body: () => Promise<T> | T): Promise<[T, Timing]> {
  const cpu = cpuUsage();
  const start = performance.now();
  const out = await body();
  const wallMs = performance.now() - start;
  const used = cpuUsage(cpu);
  return [out, { wallMs, cpuMs: (used.user + used.system) / 1000 }];
}

/** The primary: GROUPS durable single-insert groups of a ~250-byte document. */
async function fill(dir: string): Promise<Database> {
  const db = await openDatabase(dir, { durability: "interval:50" });
  await db.createStore("bench");
  const body = "x".repeat(200);
  for (let n = 0; n < GROUPS; n++) {
    await batch(db, [{ op: "insert", store: "bench", doc: BSON.serialize({ w: n % 8, n, body }) }]);
  }
  await db.sync();
  return db;
}

/** Every run after LSN 0, read from the segment files as catch-up does. */
async function readRuns(db: Database): Promise<GroupRun[]> {
  const groups = new WalGroups({
    segments: () => db.walSegments(),
    durableLsn: () => db.durableLsn,
    lastLsn: () => db.lastLsn,
    waitDurable: (lsn) => db.waitDurable(lsn),
  });
  const runs: GroupRun[] = [];
  for (let since = 0; since < db.lastLsn;) {
    const run = await groups.read(since, { maxBytes: RUN_BYTES, waitMs: 0 });
    runs.push(run);
    since = run.lastLsn;
  }
  return runs;
}

/** What the follower gets from its wire client: the frames' bytes as decoded from each response. */
function receive(frames: Uint8Array[]): Uint8Array[] {
  const reader = new FrameReader(FRAME_BYTES);
  const out: Uint8Array[] = [];
  for (const frame of frames) {
    for (let at = 0; at < frame.length;) {
      const target = reader.writable();
      const count = Math.min(target.length, READ_BYTES, frame.length - at);
      target.set(frame.subarray(at, at + count));
      reader.commit(count);
      at += count;
      for (let body = reader.next(); body !== null; body = reader.next()) {
        const result = decodeFrame(body).result as { frames: { buffer: Uint8Array; position: number } };
        const b = result.frames.buffer;
        out.push(new Uint8Array(b.buffer, b.byteOffset, result.frames.position));
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const dir = await Deno.makeTempDir({ prefix: "planck_catch_up_stages_" });
  try {
    const primary = await fill(`${dir}/primary`);
    const lsns = primary.lastLsn;
    const rows: [string, Timing][] = [];
    const [runs, read] = await timed(() => readRuns(primary));
    rows.push([`1. primary: read ${runs.length} runs of ≤ ${RUN_BYTES} bytes from the WAL segments`, read]);
    const [frames, encoded] = await timed(() =>
      runs.map((run, id) =>
        encodeFrame({
          id,
          ok: true,
          result: { frames: run.bytes, firstLsn: run.firstLsn, lastLsn: run.lastLsn, groups: run.groups },
        }, FRAME_BYTES)
      )
    );
    rows.push(["2. primary: encode the responses (BSON frames)", encoded]);
    const [bodies, received] = await timed(() => receive(frames));
    rows.push([`3. replica: frames out of ${READ_BYTES}-byte reads, BSON decoded`, received]);
    const [checked, decodeTime] = await timed(() => {
      let since = 0;
      return bodies.map((bytes) => {
        const groups = decodeGroups(bytes, since + 1);
        since = groups[groups.length - 1].commitLsn;
        return groups;
      });
    });
    rows.push(["4. replica: check the runs (decodeGroups)", decodeTime]);
    const perRun = await openDatabase(`${dir}/per_run`, { durability: "interval:10000" });
    const [, runTime] = await timed(() => {
      checked.forEach((groups, i) => applyReplicatedRun(perRun, bodies[i], groups));
    });
    rows.push(["5a. replica: apply per run (the bytes as received, a WAL write per run)", runTime]);
    const perGroup = await openDatabase(`${dir}/per_group`, { durability: "interval:10000" });
    const [, groupTime] = await timed(() => {
      for (const groups of checked) for (const g of groups) applyReplicated(perGroup, g.frames, g.commitLsn);
    });
    rows.push(["5b. replica: apply per group (encode again, a WAL write per group)", groupTime]);
    await perGroup.close();
    const [, syncTime] = await timed(() => perRun.sync());
    rows.push(["6. replica: fdatasync of everything applied", syncTime]);
    if (perRun.lastLsn !== lsns) throw new Error(`replica ends at ${perRun.lastLsn}, primary at ${lsns}`);
    await perRun.close();
    await primary.close();
    const cell = (ms: number) => (ms * 1000 / lsns).toFixed(2);
    console.log(
      [
        `### Catch-up stages (${GROUPS} single-insert groups = ${lsns} LSNs, runs ≤ ${RUN_BYTES} bytes)`,
        "",
        "| stage | wall µs/LSN | CPU µs/LSN |",
        "| --- | --: | --: |",
        ...rows.map(([name, t]) => `| ${name} | ${cell(t.wallMs)} | ${cell(t.cpuMs)} |`),
        "",
        `Load average before ${loadBefore}, after ${loadAverage()} on ${navigator.hardwareConcurrency} cores.`,
      ].join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

await main();
