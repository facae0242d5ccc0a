/**
 * Resume across SIGKILL (real): a writer subprocess (tests/_util/crash_writer.ts) is killed at a
 * seeded moment, the database is reopened here, and a consumer resumes its watch from the last LSN
 * it handled before the previous round. Checked every round: the events read so far plus the
 * resumed ones are exactly the events a fresh watch from LSN 0 yields (no gap, no duplicate); every
 * acknowledged group's documents are there as inserts, whole (a group's events share one commit
 * LSN); each key appears once (the writer never writes a key twice).
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { crashDoc, crashGroupSize, crashKey } from "../../_util/crash_writer.ts";
import { openDatabase, Store } from "../../../engine/mod.ts";
import type { ChangeEvent } from "../../../engine/changes/record.ts";
import { seededRandom, testSeed } from "../../_util/random.ts";
import { take } from "./_events.ts";

const ROUNDS = 3;
const WRITER = new URL("../../_util/crash_writer.ts", import.meta.url).pathname;
const CONFIG = new URL("../../../deno.json", import.meta.url).pathname;

interface Acked {
  writer: number;
  group: number;
  size: number;
}

/** Runs the writer until it has acknowledged `acks` groups, then SIGKILLs it. */
async function killAfterAcks(dir: string, round: number, acks: number): Promise<Acked[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, WRITER, dir, String(round), "sync"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const acked: Acked[] = [];
  let killed = false;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of child.stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith("ack ")) continue;
      const [, w, g, s] = line.split(" ");
      acked.push({ writer: Number(w), group: Number(g), size: Number(s) });
      if (acked.length === acks && !killed) {
        killed = true;
        child.kill("SIGKILL");
      }
    }
  }
  const status = await child.status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  assert(killed, `writer exited before it was killed (code ${status.code}): ${stderr.slice(-2000)}`);
  assertEquals(status.signal, "SIGKILL");
  return acked;
}

Deno.test(`crash: a watch resumes across SIGKILL of a writing subprocess with no gap and no duplicate (${ROUNDS} rounds)`, async () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  console.log(`crash resume: seed ${seed} (replay with PLANCK_SEED=${seed})`);
  const dir = await Deno.makeTempDir({ prefix: "planck-changes-crash-" });
  const acked: Acked[] = [];
  let consumed: ChangeEvent[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      acked.push(...await killAfterAcks(dir, round, 20 + Math.floor(random() * 60)));
      const db = await openDatabase(dir);
      try {
        const store = new Store(db, "crash");
        const docs = store.scan().length;
        const since = consumed.length === 0 ? 0 : consumed[consumed.length - 1].lsn;
        // The consumer resumes: it expects as many new events as documents it has not seen.
        const resumed = await take(store.watch({ since }), docs - consumed.length);
        consumed = [...consumed, ...resumed];
        const fresh = await take(store.watch({ since: 0 }), docs);
        assertEquals(consumed.map((e) => [e.lsn, e.key]), fresh.map((e) => [e.lsn, e.key]), `round ${round}`);
        const keys = new Set(consumed.map((e) => e.key));
        assertEquals(keys.size, consumed.length, "each key once: no duplicate");
        assert(consumed.every((e) => e.op === "insert"), "the writer only inserts");
        const byCommit = new Map<number, number>();
        for (const e of consumed) byCommit.set(e.commitLsn, (byCommit.get(e.commitLsn) ?? 0) + 1);
        for (const a of acked) {
          for (let i = 0; i < a.size; i++) {
            const event = consumed.find((e) => e.key === crashKey(a.writer, a.group, i));
            assert(event !== undefined, `acknowledged ${a.writer}/${a.group}/${i} has its event`);
            assertEquals(event.doc, crashDoc(a.writer, a.group, i, a.size));
            assertEquals(byCommit.get(event.commitLsn), crashGroupSize(a.writer, a.group), "whole group");
          }
        }
        for (let i = 1; i < consumed.length; i++) assert(consumed[i].lsn > consumed[i - 1].lsn, "LSN order");
      } finally {
        await db.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
