/**
 * Replication under SIGKILL, with three real processes on loopback: a primary and two replicas run
 * while the test writes (puts, deletes and atomic batches over a small key space, plus index DDL);
 * each round kills one replica (they take turns, so one restarts while the other streams) — and, in
 * a random fifth of the rounds, the primary too, before or after it — at a random point.
 * After every round the stopped replica's directory is checked offline against the primary's WAL:
 * each frame up to the replica's LSN is the primary's frame at that LSN (no LSN skipped or applied
 * twice), and every store holds exactly the primary's documents as of that LSN. Then both restart
 * and replication resumes from the replica's LSN.
 *
 * Rounds: PLANCK_REPLICA_ROUNDS (default 50); the kill points come from the seed (tests/_util/random.ts).
 */
import { assert } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { connect, type PlanckClient } from "../../../client/mod.ts";
import {
  adminOf,
  checkReplica,
  eventually,
  freePort,
  Node,
  replicationStatus,
  replicationUser,
} from "./_cluster.ts";

const ROUNDS = Number(Deno.env.get("PLANCK_REPLICA_ROUNDS") ?? "50");
const KEYS = 64;

function keyOf(n: number): string {
  return n.toString(16).padStart(32, "0");
}

/** Writes until stopped; errors (the primary is down) are expected and retried. */
async function writeLoad(admin: string, random: () => number, stop: { now: boolean }): Promise<number> {
  let done = 0;
  let client: PlanckClient | null = null;
  while (!stop.now) {
    try {
      client ??= await connect(admin, { reconnect: false, timeoutMs: 5_000 });
      const n = Math.floor(random() * KEYS);
      const pick = random();
      if (pick < 0.6) {
        await client.put("items", keyOf(n), { n, v: done, pad: "x".repeat(Math.floor(random() * 200)) });
      } else if (pick < 0.8) await client.delete("items", keyOf(n));
      else {
        await client.batch([
          { op: "put", store: "items", key: keyOf(n), doc: { n, v: done, batch: true } },
          { op: "put", store: "other", key: keyOf((n + 1) % KEYS), doc: { n, v: done } },
          { op: "delete", store: "items", key: keyOf((n + 2) % KEYS) },
        ]);
      }
      done++;
    } catch {
      client?.close();
      client = null;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  client?.close();
  return done;
}

Deno.test(`replication: ${ROUNDS} rounds of SIGKILL (replicas, sometimes the primary) during writes`, async () => {
  await forEachSeed("replication crash", async (seed) => {
    const random = seededRandom(seed);
    const root = await Deno.makeTempDir({ prefix: "planck_repl_crash_" });
    const primary = new Node(`${root}/primary`, freePort());
    // Two replicas take turns: one restarts in the background while the other is killed.
    const replicas = [new Node(`${root}/replica0`, freePort()), new Node(`${root}/replica1`, freePort())];
    const restarting: (Promise<void> | undefined)[] = [undefined, undefined];
    const checked = [0, 0];
    const stop = { now: false };
    let load: Promise<number> | undefined;
    try {
      await primary.start();
      const admin = await adminOf(primary);
      const replicator = await replicationUser(admin);
      const setup = await connect(admin);
      await setup.insert("items", { n: -1 }, { key: keyOf(KEYS + 1) });
      await setup.query({
        op: "createIndex",
        store: "items",
        name: "items_by_n",
        fields: [{ path: "n", direction: "asc" }],
        unique: false,
      });
      setup.close();
      for (const replica of replicas) replica.replicaOf = replicator;
      await Promise.all(replicas.map((replica) => replica.start()));
      load = writeLoad(admin, seededRandom(seed ^ 0x9e3779b9), stop);
      for (let round = 0; round < ROUNDS; round++) {
        const at = round % 2;
        const replica = replicas[at];
        const t0 = performance.now();
        await restarting[at];
        const t1 = performance.now();
        const killPrimary = random() < 0.2;
        // Each round kills a replica that is streaming: it has applied something since its last check.
        await eventually("the replica streams", async () => {
          const status = await replicationStatus(replica.adminVia(admin)).catch(() => null);
          return status !== null && Number(status.lsn) > checked[at];
        });
        const t2 = performance.now();
        await new Promise((resolve) => setTimeout(resolve, random() * 100));
        const primaryFirst = random() < 0.5;
        if (killPrimary && primaryFirst) await primary.stop("SIGKILL");
        await replica.stop("SIGKILL");
        if (killPrimary && !primaryFirst) await primary.stop("SIGKILL");
        const lsn = await checkReplica(primary.dataDir, replica.dataDir);
        assert(lsn >= checked[at], `replica ${at} went back from LSN ${checked[at]} to ${lsn}`);
        checked[at] = lsn;
        if (Deno.env.get("PLANCK_TEST_VERBOSE")) {
          const t3 = performance.now();
          console.log(
            `round ${round}: replica ${at} at LSN ${lsn} (restart wait ${
              (t1 - t0).toFixed(0)
            } ms, stream wait ${(t2 - t1).toFixed(0)} ms, kill+check ${
              (t3 - t2).toFixed(0)
            } ms, primary killed ${killPrimary})`,
          );
        }
        if (!primary.running) await primary.start();
        restarting[at] = replica.start();
      }
      await Promise.all(restarting);
      stop.now = true;
      const writes = await load;
      assert(writes > 0, "the load wrote something");
      // Quiesce: each replica catches up to the primary's last LSN, then matches it exactly.
      const target = Number((await replicationStatus(admin)).lsn);
      for (const replica of replicas) {
        await eventually("the replica catches up", async () => {
          const status = await replicationStatus(replica.adminVia(admin)).catch(() => null);
          return status !== null && Number(status.lsn) >= target;
        });
        await replica.stop("SIGTERM");
      }
      await primary.stop("SIGTERM");
      for (const replica of replicas) {
        const final = await checkReplica(primary.dataDir, replica.dataDir);
        assert(final === target, `a replica ends at LSN ${final}, the primary at ${target}`);
      }
      console.log(`seed ${seed}: ${ROUNDS} rounds, ${writes} writes, final LSN ${target}`);
    } finally {
      stop.now = true;
      await load?.catch(() => {});
      await Promise.allSettled(restarting);
      for (const replica of replicas) await replica.stop("SIGKILL");
      await primary.stop("SIGKILL");
      await Deno.remove(root, { recursive: true });
    }
  }, 1);
});
