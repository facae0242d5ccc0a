/**
 * W1 or W6 of bench/peers against Planck's engine alone, for `deno run --cpu-prof`: the same
 * documents (bench/peers/lib/docs.ts), the same calls as bench/peers/peers/planck.ts, no harness
 * process around it. Prints ops/s and the engine's sync count so a profile can be read per op.
 *
 *   deno run -A --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile_w1_w6.ts w1 [N]
 *   deno run -A --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile_w1_w6.ts w6 [seconds]
 *   PLANCK_SYNC_METHOD=async deno run -A bench/profile_w1_w6.ts w6     (syncMethod "async")
 *   deno run -A bench/profile_top.ts /tmp/prof/<file>.cpuprofile      (top self time)
 */
import { setImmediate } from "node:timers";
import { openDatabase, parseKey, Store } from "../engine/mod.ts";
import { keyOf, makeItem, makeItems } from "./peers/lib/docs.ts";

const W1_DOCS_DEFAULT = 5000;
const W6_SECONDS_DEFAULT = 10;
const W6_WRITERS = 8;
const W6_READERS = 8;
const W6_PRELOAD_DOCS = 20_000;
const W6_BASE = 10_000_000;
const W2_BASE = 1_000_000;

async function w1(store: Store, n: number): Promise<number> {
  const items = makeItems(0, n);
  const started = performance.now();
  for (const it of items) await store.put(parseKey(it.key), it.bson);
  return n / ((performance.now() - started) / 1000);
}

async function w6(store: Store, seconds: number): Promise<number> {
  const preload = makeItems(W2_BASE, W6_PRELOAD_DOCS);
  for (let i = 0; i < preload.length; i += 1000) {
    await Promise.all(preload.slice(i, i + 1000).map((it) => store.put(parseKey(it.key), it.bson)));
  }
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  const writer = async () => {
    while (performance.now() < deadline) {
      const it = makeItem(W6_BASE + next++);
      await store.put(parseKey(it.key), it.bson);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const reader = async () => {
    while (performance.now() < deadline) {
      for (let j = 0; j < 16; j++) store.getRaw(keyOf(W2_BASE + Math.floor(Math.random() * W6_PRELOAD_DOCS)));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: W6_WRITERS }, writer),
    ...Array.from({ length: W6_READERS }, reader),
  ]);
  return next / ((performance.now() - started) / 1000);
}

if (import.meta.main) {
  const mode = Deno.args[0] ?? "w1";
  const dir = await Deno.makeTempDir({ dir: new URL("./.data", import.meta.url).pathname });
  const syncMethod = Deno.env.get("PLANCK_SYNC_METHOD") === "async" ? "async" : "inline";
  const db = await openDatabase(dir, { syncMethod });
  try {
    await db.createStore("docs");
    const store = new Store(db, "docs");
    const perSec = mode === "w6"
      ? await w6(store, Number(Deno.args[1] ?? W6_SECONDS_DEFAULT))
      : await w1(store, Number(Deno.args[1] ?? W1_DOCS_DEFAULT));
    const stats = db.stats();
    console.log(
      JSON.stringify({
        mode,
        syncMethod,
        writesPerSec: Math.round(perSec),
        syncs: stats.syncs,
        lastLsn: stats.lastLsn,
      }),
    );
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}
