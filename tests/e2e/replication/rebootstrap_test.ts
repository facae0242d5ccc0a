/**
 * Automatic re-bootstrap: a replica that was away while its primary removed the WAL it needs gets
 * `resume_point_lost`, copies a fresh snapshot while the primary keeps taking writes, restarts on
 * it (same ports) and streams on; in the end its documents equal the primary's, one by one.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { connect } from "../../../client/mod.ts";
import { type Config, defaultConfig } from "../../../host/config.ts";
import { type PlanckServer, startServer } from "../../../host/server/server.ts";
import { listSegments } from "../../../engine/db/recovery.ts";
import { decodeSegmentHeader } from "../../../engine/wal/format.ts";
import { eventually, replicationUser } from "./_cluster.ts";

const SMALL = (config: Config) => {
  config.walSegmentBytes = 64 * 1024;
  config.memtableBytes = 64 * 1024;
  config.changes.retention = { bytes: 0, ageMs: 0 }; // the primary keeps only the WAL recovery needs
};

async function start(
  dataDir: string,
  replicaOf: string | null,
  log: (line: string) => void,
): Promise<PlanckServer> {
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  config.shutdown.drainTimeoutMs = 1_000;
  config.replication.replicaOf = replicaOf;
  SMALL(config);
  return await startServer(config, { log, signals: false, noLogFile: true });
}

async function lsnOf(connection: string): Promise<number> {
  const client = await connect(connection, { reconnect: false });
  try {
    return Number((await client.replicationStatus()).lsn);
  } finally {
    client.close();
  }
}

/** The first LSN of the oldest WAL segment the primary still holds. */
function oldestKept(dataDir: string): number {
  const [first] = listSegments(`${dataDir}/wal`);
  const header = decodeSegmentHeader(Deno.readFileSync(first.path).subarray(0, 32));
  assert(typeof header !== "string", "a segment header");
  return header.firstLsn;
}

async function documents(connection: string, store: string): Promise<Map<string, string>> {
  const client = await connect(connection, { reconnect: false });
  try {
    return new Map(
      (await client.scan(store, { limit: 100_000 })).map((doc) => [doc.key, JSON.stringify(doc)]),
    );
  } finally {
    client.close();
  }
}

Deno.test("a replica that lost its resume point bootstraps again while the primary writes, then streams on", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_rebootstrap_" });
  const lines: string[] = [];
  const primary = await start(`${root}/p`, null, () => {});
  let replica: PlanckServer | undefined;
  try {
    const admin = primary.adminConnection!;
    const writer = await connect(admin);
    await writer.insert("items", { n: -1 });
    const replicator = await replicationUser(admin);
    replica = await start(`${root}/r`, replicator, (line) => lines.push(line));
    const onReplica = () => admin.replace(/^[^;]+;/, `127.0.0.1:${replica!.ports.wire};`);
    const first = await lsnOf(admin);
    await eventually("the replica catches up", async () => (await lsnOf(onReplica())) >= first);
    const away = await lsnOf(onReplica());
    await replica.stop();
    replica = undefined;
    // While it is away, the primary writes on and removes the WAL after the replica's LSN.
    let n = 0;
    while (oldestKept(`${root}/p`) <= away + 1) {
      await writer.batch(
        Array.from(
          { length: 50 },
          () => ({ op: "insert", store: "items", doc: { n: n++, body: "x".repeat(300) } }),
        ),
      );
    }
    // It comes back while a writer keeps going.
    let writing = true;
    const load = (async () => {
      while (writing) await writer.insert("items", { n: n++, body: "y".repeat(100) });
    })();
    replica = await start(`${root}/r`, replicator, (line) => lines.push(line));
    await eventually(
      "the replica re-bootstraps",
      () => Promise.resolve(lines.some((l) => l.includes("re-bootstrapped"))),
    );
    assert(
      lines.some((l) => l.includes("Cannot resume after LSN") && l.includes("bootstrapping again")),
      lines.join("\n"),
    );
    const after = await lsnOf(admin);
    await eventually("it streams on past the snapshot", async () => (await lsnOf(onReplica())) >= after);
    writing = false;
    await load;
    const last = await lsnOf(admin);
    await eventually("it holds every write", async () => (await lsnOf(onReplica())) === last);
    const theirs = await documents(admin, "items");
    const mine = await documents(onReplica(), "items");
    assertEquals(mine.size, theirs.size, "document count");
    for (const [key, doc] of theirs) assertEquals(mine.get(key), doc, `document ${key}`);
    writer.close();
  } finally {
    await replica?.stop();
    await primary.stop();
    await Deno.remove(root, { recursive: true });
  }
});
