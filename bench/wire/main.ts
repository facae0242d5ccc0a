/**
 * Wire benchmark: Planck's wire protocol beside PostgreSQL (when installed) in the same run —
 * point gets and durable inserts at 1 and 32 connections — with the ratios and the targets
 * (gets ≥ 1.0× PostgreSQL, durable inserts at 32 connections ≥ 2×).
 *
 *   deno run -A bench/wire/main.ts [--quick] [--seconds=N] [--docs=N] [--no-postgres] [--json=FILE]
 *
 * Steps: 1. start each target on a fresh directory under bench/.data/; 2. preload the documents;
 * 3. measure each workload for a fixed time; 4. stop the targets, remove their directories, print a
 * markdown table (and write JSON when asked).
 */
import { startPlanck } from "./planck_target.ts";
import { startPostgres } from "./postgres_target.ts";
import { type Measurement, runWorkloads, type Target } from "./workload.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA_DIR = `${ROOT}bench/.data/wire-${Deno.pid}`;
/** Connections of the wide runs. */
const WIDE_CONNECTIONS = 32;

async function measureTarget(
  start: () => Promise<Target | string>,
  options: Parameters<typeof runWorkloads>[1],
): Promise<Measurement[] | string> {
  const target = await start();
  if (typeof target === "string") return target;
  try {
    return await runWorkloads(target, options);
  } finally {
    await target.close();
  }
}

function render(planck: Measurement[], peer: Measurement[] | string): string {
  const lines = [
    "| workload | connections | Planck ops/s | p50 ms | p99 ms | PostgreSQL ops/s | p50 ms | p99 ms | Planck ÷ PostgreSQL | target |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const m of planck) {
    const p = typeof peer === "string"
      ? undefined
      : peer.find((x) => x.workload === m.workload && x.connections === m.connections);
    const ratio = p === undefined ? undefined : m.opsPerSec / p.opsPerSec;
    const goal = m.workload === "get" ? 1 : m.connections === WIDE_CONNECTIONS ? 2 : undefined;
    const target = goal === undefined
      ? "–"
      : ratio === undefined
      ? `≥ ${goal}×`
      : `≥ ${goal}× ${ratio >= goal ? "met" : "not met"}`;
    lines.push(
      `| ${m.workload} | ${m.connections} | ${m.opsPerSec.toFixed(0)} | ${m.p50Ms.toFixed(2)} | ${
        m.p99Ms.toFixed(2)
      } | ` +
        `${p?.opsPerSec.toFixed(0) ?? "–"} | ${p?.p50Ms.toFixed(2) ?? "–"} | ${
          p?.p99Ms.toFixed(2) ?? "–"
        } | ` +
        `${ratio === undefined ? "–" : ratio.toFixed(2) + "×"} | ${target} |`,
    );
  }
  if (typeof peer === "string") lines.push("", `PostgreSQL not measured: ${peer}.`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const options = {
    docs: Number(flag("docs") ?? (quick ? 2_000 : 20_000)),
    seconds: Number(flag("seconds") ?? (quick ? 2 : 5)),
    wide: WIDE_CONNECTIONS,
    log: (line: string) => console.error(`bench wire: ${line}`),
  };
  const before = loadAverage();
  try {
    const planck = await measureTarget(() => startPlanck(`${DATA_DIR}/planck`), options);
    if (typeof planck === "string") throw new Error(planck);
    const peer = Deno.args.includes("--no-postgres")
      ? "skipped (--no-postgres)"
      : await measureTarget(() => startPostgres(`${DATA_DIR}/postgres`), options);
    const markdown = `## Wire: Planck beside PostgreSQL\n\n${render(planck, peer)}\n\n` +
      `Documents ≈ 300 B, ${options.docs} preloaded, ${options.seconds} s per workload, one request in flight per ` +
      `connection; inserts durable on both (Planck durability sync; PostgreSQL synchronous_commit=on, fsync=on, ` +
      `JSONB table with an index on status). Load average ${before} before, ${loadAverage()} after.\n`;
    console.log(markdown);
    const json = flag("json");
    if (json !== undefined) {
      await Deno.writeTextFile(json, JSON.stringify({ planck, postgres: peer, options }, null, 2) + "\n");
    }
  } finally {
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
