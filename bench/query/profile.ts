/**
 * Profiles one query of the query benchmark on Planck alone: loads the 200k documents once into
 * bench/.data/query-profile (kept between runs, so a rerun only queries), times the query, then
 * prints the top self-time functions of a CPU profile of more runs.
 *
 *   deno run -A --config bench/peers/deno.json bench/query/profile.ts [q3|q2|fetch] [--reps=N]
 *     [--docs=N] [--no-profile] [--fresh]
 */
import { makeItems } from "../peers/lib/docs.ts";
import { printProfile } from "../lib/cpu_profile.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";
import { planckTarget } from "./planck_target.ts";
import { AMOUNT_MAX, RANGE_WIDTH } from "./target.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DIR = `${ROOT}bench/.data/query-profile`;
const LOAD_CHUNK = 5000;

const which = Deno.args.find((a) => !a.startsWith("--")) ?? "q3";
const reps = Number(flag("reps") ?? (which === "q3" ? 10 : 400));
const docs = Number(flag("docs") ?? 200_000);
if (Deno.args.includes("--fresh")) await Deno.remove(DIR, { recursive: true }).catch(() => {});
const fresh = await Deno.stat(`${DIR}/LOCK`).then(() => false, () => true);
const target = planckTarget();
if (fresh) {
  await target.open(DIR);
  const items = makeItems(0, docs);
  for (let i = 0; i < items.length; i += LOAD_CHUNK) await target.load(items.slice(i, i + LOAD_CHUNK));
  await target.settle();
} else {
  await target.reopen(DIR);
}

let seed = 7;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
}

async function once(): Promise<void> {
  if (which === "q3") await target.topK();
  else if (which === "q2") {
    const low = Math.floor(random() * (AMOUNT_MAX - RANGE_WIDTH));
    await target.range(low, low + RANGE_WIDTH);
  } else await target.fetch("paid");
}

await once();
const times: number[] = [];
for (let i = 0; i < reps; i++) {
  const t0 = performance.now();
  await once();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(3);
console.log(`${which}: median ${at(0.5)} ms, p99 ${at(0.99)} ms over ${reps} (load ${loadAverage()})`);
if (!Deno.args.includes("--no-profile")) {
  await printProfile(async () => {
    for (let i = 0; i < reps; i++) await once();
  }, { top: 30 });
}
await target.close();
