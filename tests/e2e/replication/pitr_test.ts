/**
 * Point-in-time restore end to end: a primary with a WAL archive takes a seeded random write load
 * and an online backup in the middle; the test records the primary's documents at random LSNs.
 * `planck restore --until` (from the backup plus the archive, or from the archive alone, by LSN
 * and by time) must rebuild a directory that `planck start` opens with exactly the documents
 * recorded at that LSN, compared document by document; errors name what is wrong.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { connect, parseConnectionString, WireTransport } from "../../../client/mod.ts";
import { type Config, defaultConfig } from "../../../host/config.ts";
import { type PlanckServer, startServer } from "../../../host/server/server.ts";
import { backupSource, remoteSource } from "../../../host/ops/mod.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { readClock } from "../../../engine/wal/archive_clock.ts";
import { parseRestorePoint, restoreToPoint } from "../../../host/replication/pitr.ts";
import { eventually } from "./_cluster.ts";

const STORES = ["items", "orders"];
const MAIN = new URL("../../../main.ts", import.meta.url).pathname;

async function start(dataDir: string, configure: (config: Config) => void = () => {}): Promise<PlanckServer> {
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  config.shutdown.drainTimeoutMs = 1_000;
  configure(config);
  return await startServer(config, { log: () => {}, signals: false, noLogFile: true });
}

type Snapshot = Record<string, Record<string, string>>;

/** Every document of the test's stores as read over the wire: store → key → JSON. */
async function snapshot(connection: string): Promise<Snapshot> {
  const client = await connect(connection, { reconnect: false });
  try {
    const out: Snapshot = {};
    for (const store of STORES) {
      out[store] = {};
      for (const doc of await client.scan(store, { limit: 100_000 }).catch(() => [])) {
        out[store][doc.key] = JSON.stringify(doc);
      }
    }
    return out;
  } finally {
    client.close();
  }
}

async function lsnOf(connection: string): Promise<number> {
  const client = await connect(connection, { reconnect: false });
  try {
    return Number((await client.replicationStatus()).lsn);
  } finally {
    client.close();
  }
}

/** Starts a server on the restored `dir` and compares its documents with `expected`, one by one. */
async function assertRestored(dir: string, admin: string, lsn: number, expected: Snapshot): Promise<void> {
  const server = await start(dir);
  try {
    const connection = admin.replace(/^[^;]+;/, `127.0.0.1:${server.ports.wire};`);
    assertEquals(await lsnOf(connection), lsn, `the restored directory opens at LSN ${lsn}`);
    const actual = await snapshot(connection);
    for (const store of STORES) {
      const want = expected[store] ?? {};
      const got = actual[store] ?? {};
      assertEquals(
        Object.keys(got).length,
        Object.keys(want).length,
        `documents of "${store}" at LSN ${lsn}`,
      );
      for (const [key, doc] of Object.entries(want)) {
        assertEquals(got[key], doc, `"${store}" key ${key} at LSN ${lsn}`);
      }
    }
  } finally {
    await server.stop();
  }
}

async function errorOf(promise: Promise<unknown>): Promise<PlanckError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PlanckError) return error;
    throw error;
  }
  throw new Error("expected the restore to fail");
}

/** A write load of `count` random writes; records a snapshot after the writes listed in `at`. */
async function writeLoad(
  admin: string,
  random: () => number,
  count: number,
  at: Set<number>,
  points: Map<number, Snapshot>,
): Promise<void> {
  const client = await connect(admin);
  try {
    const keys: Record<string, string[]> = { items: [], orders: [] };
    for (let i = 0; i < count; i++) {
      const store = STORES[Math.floor(random() * STORES.length)];
      const roll = random();
      const existing = keys[store];
      if (roll < 0.6 || existing.length === 0) {
        // Bodies of up to 800 bytes: enough WAL for several 64 KiB segments (a backup's pin does not rotate it).
        existing.push(await client.insert(store, { n: i, body: "x".repeat(Math.floor(random() * 800)) }));
      } else if (roll < 0.85) {
        const key = existing[Math.floor(random() * existing.length)];
        await client.put(store, key, { n: i, updated: true });
      } else {
        const [key] = existing.splice(Math.floor(random() * existing.length), 1);
        await client.delete(store, key);
      }
      if (at.has(i)) points.set(await lsnOf(admin), await snapshot(admin));
    }
  } finally {
    client.close();
  }
}

Deno.test("planck restore --until rebuilds the state at a random LSN and at a time, from a backup or the archive", async () => {
  await forEachSeed("pitr", async (seed) => {
    const random = seededRandom(seed);
    const root = await Deno.makeTempDir({ prefix: "planck_pitr_" });
    const archive = `${root}/archive`;
    const primary = await start(`${root}/p`, (config) => {
      config.archive.dir = archive;
      config.walSegmentBytes = 64 * 1024; // many segments, archived as checkpoints pass them
      config.memtableBytes = 64 * 1024;
      config.changes.retention = { bytes: 0, ageMs: 0 };
    });
    let stopped = false;
    try {
      const admin = primary.adminConnection!;
      const points = new Map<number, Snapshot>();
      const pick = (n: number) => new Set(Array.from({ length: 3 }, () => Math.floor(random() * n)));
      await writeLoad(admin, random, 300, pick(300), points);
      // A quiet moment: the clock marks the LSN so far, then a time T before any later write.
      const quietLsn = await lsnOf(admin);
      const quiet = await snapshot(admin);
      await eventually(
        "the archive clock marks the quiet LSN",
        () => Promise.resolve(readClock(archive).marks.some((mark) => mark.lsn >= quietLsn)),
      );
      const quietTime = new Date(Date.now() + 1).toISOString();
      await eventually("time passes T", () => Promise.resolve(Date.now() > Date.parse(quietTime) + 1));
      // An online backup while the load goes on.
      const transport = await WireTransport.open(parseConnectionString(admin));
      const backupLsn =
        (await backupSource(await remoteSource(transport), `${root}/backup`, { quiet: true })).lsn;
      transport.close();
      const late = new Map<number, Snapshot>();
      await writeLoad(admin, random, 300, pick(300), late);
      await primary.stop();
      stopped = true;
      await eventually("the archive copied every segment handed over", () => {
        try {
          return Promise.resolve([...Deno.readDirSync(`${root}/p/wal/archiving`)].length === 0);
        } catch {
          return Promise.resolve(true);
        }
      });
      const wal = `${root}/p/wal`;

      // 1. From the backup plus the archive (the CLI), to a random LSN recorded after the backup.
      const after = [...late.keys()].filter((lsn) => lsn >= backupLsn);
      assert(after.length > 0, "a point after the backup");
      const lsn = after[Math.floor(random() * after.length)];
      const cli = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          MAIN,
          "restore",
          "--from",
          `${root}/backup`,
          "--archive",
          archive,
          "--wal",
          wal,
          "--until",
          String(lsn),
          "--data",
          `${root}/r1`,
          "--quiet",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(cli.stdout);
      assertEquals(cli.code, 0, new TextDecoder().decode(cli.stderr));
      const result = JSON.parse(out);
      assertEquals([result.lsn, result.base, result.baseLsn], [lsn, "backup", backupLsn]);
      assert(lsn === backupLsn || result.groups > 0, "archived groups were applied on top of the backup");
      await assertRestored(`${root}/r1`, admin, lsn, late.get(lsn)!);

      // 2. From the archive alone (an empty start), to a random LSN of either phase.
      const all = [...points.keys(), ...late.keys()];
      const any = all[Math.floor(random() * all.length)];
      const fromArchive = await restoreToPoint({
        from: archive,
        wal,
        until: { lsn: any },
        data: `${root}/r2`,
        quiet: true,
      });
      assertEquals([fromArchive.lsn, fromArchive.base], [any, "empty"]);
      await assertRestored(`${root}/r2`, admin, any, points.get(any) ?? late.get(any)!);

      // 3. By time: T fell in the quiet moment, so the state is the one recorded then.
      const byTime = await restoreToPoint({
        from: archive,
        wal,
        until: parseRestorePoint(quietTime),
        data: `${root}/r3`,
        quiet: true,
      });
      assertEquals(byTime.lsn, quietLsn);
      await assertRestored(`${root}/r3`, admin, quietLsn, quiet);

      // 4. Errors: a point before the backup; a time before it; a gap in the archive; past the end.
      const early = await errorOf(restoreToPoint({
        from: `${root}/backup`,
        archive,
        until: { lsn: backupLsn - 1 },
        data: `${root}/e1`,
        quiet: true,
      }));
      assertEquals(early.code, "invalid_argument");
      assert(early.message.includes(`before the backup's LSN ${backupLsn}`), early.message);
      const earlyTime = await errorOf(restoreToPoint({
        from: `${root}/backup`,
        archive,
        until: parseRestorePoint("2001-01-01T00:00:00Z"),
        data: `${root}/e2`,
        quiet: true,
      }));
      assert(earlyTime.message.includes("is before the backup"), earlyTime.message);
      const segments = [...Deno.readDirSync(archive)].map((e) => e.name).filter((n) => n.endsWith(".wal"))
        .sort();
      assert(segments.length >= 3, `segments archived: ${segments.length}`);
      const holed = `${root}/holed`;
      await Deno.mkdir(holed);
      for (const name of segments) await Deno.copyFile(`${archive}/${name}`, `${holed}/${name}`);
      const missing = segments[Math.floor(segments.length / 2)];
      await Deno.remove(`${holed}/${missing}`);
      const gap = await errorOf(restoreToPoint({
        from: holed,
        wal,
        until: { lsn: late.size > 0 ? Math.max(...late.keys()) : quietLsn },
        data: `${root}/e3`,
        quiet: true,
      }));
      assertEquals(gap.code, "not_found");
      assert(gap.message.includes(missing), `names the missing segment ${missing}: ${gap.message}`);
      const past = await errorOf(restoreToPoint({
        from: archive,
        until: { lsn: 10_000_000 },
        data: `${root}/e4`,
        quiet: true,
      }));
      assert(past.message.includes("The archive ends at LSN"), past.message);
      for (const dir of ["e1", "e2", "e3", "e4"]) {
        assertEquals(await Deno.stat(`${root}/${dir}.restoring`).catch(() => null), null, "no staging left");
      }
    } finally {
      if (!stopped) await primary.stop();
      await Deno.remove(root, { recursive: true });
    }
  }, 2);
});
