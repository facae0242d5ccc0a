/**
 * Crash test (real): a writer subprocess is SIGKILLed at a random moment, the database is reopened
 * in this process, and every acknowledged group must be there, whole, byte for byte; no group may be
 * partly visible; the store must always open. Rounds accumulate in one directory, so recovery also
 * replays logs that earlier recoveries cut. PLANCK_CRASH_ROUNDS sets the rounds (default 25),
 * PLANCK_SEED replays the kill moments.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { crashDoc, crashGroupSize, crashKey } from "../../_util/crash_writer.ts";
import { openDatabase, Store } from "../../../engine/mod.ts";
import { seededRandom, testSeed } from "../../_util/random.ts";

const ROUNDS = Number(Deno.env.get("PLANCK_CRASH_ROUNDS") ?? 25);
const WRITER = new URL("../../_util/crash_writer.ts", import.meta.url).pathname;
const CONFIG = new URL("../../../deno.json", import.meta.url).pathname;

interface Acked {
  writer: number;
  group: number;
  size: number;
}

async function runRound(
  dir: string,
  round: number,
  durability: string,
  killAfterMs: number,
  env: Record<string, string>,
): Promise<Acked[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, WRITER, dir, String(round), durability],
    stdout: "piped",
    stderr: "piped",
    env: { PLANCK_INVARIANTS: "1", ...env },
  }).spawn();
  const acked: Acked[] = [];
  let killed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of child.stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith("ready") && timer === undefined) {
        timer = setTimeout(() => {
          killed = true;
          child.kill("SIGKILL");
        }, killAfterMs);
      } else if (line.startsWith("ack ")) {
        const [, w, g, s] = line.split(" ");
        acked.push({ writer: Number(w), group: Number(g), size: Number(s) });
      }
    }
  }
  clearTimeout(timer);
  const status = await child.status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  assert(killed, `writer exited before it was killed (code ${status.code}): ${stderr.slice(-2000)}`);
  return acked;
}

Deno.test(`crash: every acknowledged group survives SIGKILL, also mid-flush and mid-GC (${ROUNDS} rounds)`, async () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const dir = await Deno.makeTempDir({ prefix: "planck-crash-" });
  const allAcked: Acked[] = [];
  let checkpointLsn = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const durability = round % 3 === 0 ? "interval:20" : "sync";
      // Even rounds flush often and collect the value log, slowly, so kills land mid-flush and mid-GC.
      const env: Record<string, string> = round % 2 === 0
        ? { PLANCK_CRASH_MEMTABLE_BYTES: "65536", PLANCK_SLOW_TIERS_MS: "3", PLANCK_CRASH_GC_RATIO: "0.2" }
        : {};
      const killAfterMs = 20 + Math.floor(random() * 400);
      const acked = await runRound(dir, round, durability, killAfterMs, env);
      allAcked.push(...acked);
      const db = await openDatabase(dir);
      try {
        const store = new Store(db, "crash");
        for (const a of allAcked) {
          for (let i = 0; i < a.size; i++) {
            const doc = store.get(crashKey(a.writer, a.group, i));
            assertEquals(
              doc,
              crashDoc(a.writer, a.group, i, a.size),
              `seed ${seed} round ${round}: acked doc lost`,
            );
          }
        }
        // No partial group: for every writer, each group present is complete.
        const seen = new Map<string, number>();
        for (const [key] of store.scanRaw()) {
          const id = key.slice(0, 24);
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
        for (const [id, count] of seen) {
          const writer = parseInt(id.slice(0, 8), 16);
          const group = parseInt(id.slice(8, 24), 16);
          assertEquals(
            count,
            crashGroupSize(writer, group),
            `seed ${seed} round ${round}: partial group ${id}`,
          );
        }
        // The index holds exactly the entries its documents imply.
        const index = db.indexInfo("crash_by_group")!;
        const expected = new Set<string>();
        for (const { key, doc } of store.scan()) {
          for (const entry of db.indexes.entries(index.id, doc, key)) expected.add(entry);
        }
        const actual = new Set(db.indexScan(index.id));
        assertEquals(actual.size, expected.size, `seed ${seed} round ${round}: index entry count`);
        for (const entry of expected) {
          assert(actual.has(entry), `seed ${seed} round ${round}: index entry missing`);
        }
        checkpointLsn = Math.max(checkpointLsn, db.stats().tiers.checkpointLsn);
      } finally {
        await db.close();
      }
    }
    assert(ROUNDS < 4 || checkpointLsn > 0, `seed ${seed}: no flush ever reached a checkpoint`);
    assert(ROUNDS < 4 || allAcked.length > 0, `seed ${seed}: no write was ever acknowledged`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
