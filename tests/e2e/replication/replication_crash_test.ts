/**
 * Replication under SIGKILL, with real processes on loopback: a primary and a replica run while the
 * test writes (puts, deletes and atomic batches over a small key space, plus index DDL); each round
 * kills the replica — and, in a random half of the rounds, the primary too — at a random point.
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

Deno.test(`replication: ${ROUNDS} rounds of SIGKILL (replica, sometimes primary) during writes`, async () => {
  await forEachSeed("replication crash", async (seed) => {
    const random = seededRandom(seed);
    const root = await Deno.makeTempDir({ prefix: "planck_repl_crash_" });
    const primary = new Node(`${root}/primary`, freePort());
    const replica = new Node(`${root}/replica`, freePort());
    const stop = { now: false };
    let load: Promise<number> | undefined;
    try {
      await primary.start();
      const admin = await adminOf(primary);
      replica.replicaOf = await replicationUser(admin);
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
      await replica.start();
      load = writeLoad(admin, seededRandom(seed ^ 0x9e3779b9), stop);
      let checked = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const killPrimary = random() < 0.5;
        const first = random() < 0.5 ? "primary" : "replica";
        // Each round kills a replica that is streaming: it has applied something since the last check.
        await eventually("the replica streams", async () => {
          const status = await replicationStatus(replica.adminVia(admin)).catch(() => null);
          return status !== null && Number(status.lsn) > checked;
        });
        await new Promise((resolve) => setTimeout(resolve, random() * 100));
        if (killPrimary && first === "primary") await primary.stop("SIGKILL");
        if (killPrimary && first === "primary") {
          await new Promise((resolve) => setTimeout(resolve, random() * 50));
        }
        await replica.stop("SIGKILL");
        if (killPrimary && first === "replica") await primary.stop("SIGKILL");
        const t0 = performance.now();
        const lsn = await checkReplica(primary.dataDir, replica.dataDir);
        const t1 = performance.now();
        assert(lsn >= checked || killPrimary, `the replica went back from LSN ${checked} to ${lsn}`);
        checked = lsn;
        await Promise.all([primary.running ? undefined : primary.start(), replica.start()]);
        if (Deno.env.get("PLANCK_TEST_VERBOSE")) {
          console.log(
            `round ${round}: LSN ${lsn}, check ${(t1 - t0).toFixed(0)} ms, restart ${
              (performance.now() - t1).toFixed(0)
            } ms`,
          );
        }
      }
      stop.now = true;
      const writes = await load;
      assert(writes > 0, "the load wrote something");
      // Quiesce: the replica catches up to the primary's last LSN, then matches it exactly.
      const target = Number((await replicationStatus(admin)).lsn);
      await eventually("the replica catches up", async () => {
        const status = await replicationStatus(replica.adminVia(admin)).catch(() => null);
        return status !== null && Number(status.lsn) >= target;
      });
      await replica.stop("SIGTERM");
      await primary.stop("SIGTERM");
      const final = await checkReplica(primary.dataDir, replica.dataDir);
      assert(final === target, `the replica ends at LSN ${final}, the primary at ${target}`);
      console.log(`seed ${seed}: ${ROUNDS} rounds, ${writes} writes, final LSN ${final}`);
    } finally {
      stop.now = true;
      await load?.catch(() => {});
      await replica.stop("SIGKILL");
      await primary.stop("SIGKILL");
      await Deno.remove(root, { recursive: true });
    }
  }, 1);
});
