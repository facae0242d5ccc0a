/**
 * The engine benchmark's fast loop: W1 (durable single insert) and W6 (eight durable writers beside
 * readers) for Planck and its peers, beside the fsync floor probe, in rounds that interleave them so
 * every ratio compares figures taken minutes apart at most (the machine is shared: compare ratios of
 * one run, and repeat). `deno task bench` (bench/peers) runs the full workload set; this one is for
 * before/after measurements of the WAL and the group commit.
 *
 *   deno run -A bench/engine/main.ts                          W1 + W6, planck,sqlite-full,leveldb, 3 rounds
 *   deno run -A bench/engine/main.ts --workloads=w1 --rounds=5
 *   deno run -A bench/engine/main.ts --peers=planck --w1=3000 --w6-sec=5
 *
 * Prints a markdown table per round and the medians, with the load average before and after.
 * Ratios: W1 ÷ overwrite floor, W1 ÷ SQLite FULL, W6 ÷ best peer, W6 ÷ ceiling (writers × overwrite floor).
 */
import { flag, loadAverage } from "../lib/run_facts.ts";
import type { ChildConfig } from "./child.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA = `${ROOT}bench/.data/engine`;
const PEERS_CONFIG = `${ROOT}bench/peers/deno.json`;
const CHILD = `${ROOT}bench/engine/child.ts`;

const peers = (flag("peers") ?? "planck,sqlite-full,leveldb").split(",");
const workloads = (flag("workloads") ?? "w1,w6").split(",");
const rounds = Number(flag("rounds") ?? 3);
const cfg: ChildConfig = {
  w1N: Number(flag("w1") ?? 2000),
  w6Sec: Number(flag("w6-sec") ?? 4),
  w6Writers: 8,
  w6Readers: 8,
  w6Preload: Number(flag("w6-preload") ?? 20_000),
  probeSec: Number(flag("probe-sec") ?? 1.5),
};

type Figures = Record<string, number | undefined>;

async function child(peer: string, workload: string): Promise<Figures> {
  const dir = `${DATA}/${peer}-${workload}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-lock",
      "--config",
      PEERS_CONFIG,
      CHILD,
      peer,
      workload,
      dir,
      JSON.stringify(cfg),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const text = new TextDecoder().decode(output.stdout).trim().split("\n").pop() ?? "";
  if (!output.success || text === "") {
    console.error(
      `bench/engine: ${peer} ${workload} failed: ${new TextDecoder().decode(output.stderr).slice(-1500)}`,
    );
    return {};
  }
  return JSON.parse(text);
}

const fmt = (x: number | undefined, digits = 0) =>
  x === undefined || !isFinite(x)
    ? "–"
    : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Round {
  probe: Figures;
  results: Record<string, Record<string, Figures>>;
}

function ratios(round: Round): Figures {
  const floor = round.probe.overwrite;
  const planck = round.results.planck ?? {};
  const others = peers.filter((p) => p !== "planck");
  const best = (workload: string, key: string) =>
    Math.max(...others.map((p) => round.results[p]?.[workload]?.[key] ?? 0));
  const w1 = planck.w1?.opsPerSec;
  const w6 = planck.w6?.writesPerSec;
  return {
    "W1 ÷ overwrite floor": w1 !== undefined && floor ? w1 / floor : undefined,
    "W1 ÷ sqlite-full": w1 !== undefined
      ? w1 / (round.results["sqlite-full"]?.w1?.opsPerSec ?? NaN)
      : undefined,
    "W6 writes ÷ best peer": w6 !== undefined ? w6 / best("w6", "writesPerSec") : undefined,
    "W6 writes ÷ ceiling (8 × floor)": w6 !== undefined && floor ? w6 / (cfg.w6Writers * floor) : undefined,
  };
}

function render(round: Round, title: string): string {
  const lines = [`#### ${title}`, ""];
  lines.push(
    `fsync floor (4 KiB write + fdatasync): overwrite ${fmt(round.probe.overwrite)}/s, append ${
      fmt(round.probe.append)
    }/s, append-sync ${fmt(round.probe["append-sync"])}/s`,
    "",
    "| peer | W1 ops/s | W1 p50 / p99 ms | W6 writes/s | W6 reads/s | W6 write p50 / p99 ms | W6 writes per fsync |",
    "|---|--:|--:|--:|--:|--:|--:|",
  );
  for (const peer of peers) {
    const w1 = round.results[peer]?.w1 ?? {};
    const w6 = round.results[peer]?.w6 ?? {};
    lines.push(
      `| ${peer} | ${fmt(w1.opsPerSec)} | ${fmt(w1.p50ms, 3)} / ${fmt(w1.p99ms, 3)} | ${
        fmt(w6.writesPerSec)
      } | ${fmt(w6.readsPerSec)} | ${fmt(w6.writeP50ms, 2)} / ${fmt(w6.writeP99ms, 2)} | ${
        fmt(w6.writesPerSync, 1)
      } |`,
    );
  }
  lines.push("", Object.entries(ratios(round)).map(([k, v]) => `${k}: ×${fmt(v, 2)}`).join("; "), "");
  return lines.join("\n");
}

function medianRound(all: Round[]): Round {
  const med = (xs: number[]) => {
    const s = xs.filter((x) => isFinite(x)).sort((a, b) => a - b);
    return s.length === 0 ? undefined : s[Math.floor(s.length / 2)];
  };
  const figure = (pick: (r: Round) => number | undefined) => med(all.map((r) => pick(r) ?? NaN));
  const probe: Figures = {};
  for (const key of Object.keys(all[0].probe)) probe[key] = figure((r) => r.probe[key]);
  const results: Round["results"] = {};
  for (const peer of peers) {
    results[peer] = {};
    for (const workload of workloads) {
      const keys = Object.keys(all.find((r) => r.results[peer]?.[workload])?.results[peer][workload] ?? {});
      results[peer][workload] = Object.fromEntries(
        keys.map((k) => [k, figure((r) => r.results[peer]?.[workload]?.[k])]),
      );
    }
  }
  return { probe, results };
}

if (import.meta.main) {
  await Deno.mkdir(DATA, { recursive: true });
  const loadBefore = loadAverage();
  const started = new Date().toISOString();
  const all: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const round: Round = { probe: await child("probe", "probe"), results: {} };
    for (const workload of workloads) {
      for (const peer of peers) {
        (round.results[peer] ??= {})[workload] = await child(peer, workload);
      }
    }
    all.push(round);
    console.log(render(round, `round ${r + 1} of ${rounds} (load ${loadAverage()})`));
  }
  console.log(render(medianRound(all), `median of ${rounds} rounds`));
  console.log(
    `Run ${started}: \`deno run -A bench/engine/main.ts ${
      Deno.args.join(" ")
    }\` (W1 ${cfg.w1N} docs, W6 ${cfg.w6Sec} s ` +
      `with ${cfg.w6Writers} writers + ${cfg.w6Readers} readers over ${cfg.w6Preload} docs); load average ${loadBefore} before, ${loadAverage()} after.`,
  );
}
