/**
 * The query benchmark's markdown: one row per query with Planck, SQLite and LMDB, Planck's ratio
 * to each, and the targets (count ≤ SQLite's time, fetch ≥ LMDB's docs/s, indexed top-50
 * ≤ 1 ms), plus whether the targets returned the same results.
 *
 * Invariants: a missing target shows "–"; a ratio is Planck's figure divided by the peer's in the
 * row's unit (lower is better for ms, higher for docs/s).
 */
import type { TargetResult } from "./measure.ts";
import { RANGE_LIMIT, RANGE_WIDTH, TOP_LIMIT, TOP_PREFIX } from "./target.ts";

/** The bound on the indexed top-50, in ms. */
const RANGE_TARGET_MS = 1;

interface Row {
  label: string;
  unit: "ms" | "docs/s";
  value: (r: TargetResult) => number | undefined;
  target?: (planck: number, peers: Map<string, TargetResult>) => string;
}

function fmt(x: number | undefined, unit: Row["unit"]): string {
  if (x === undefined) return "–";
  if (unit === "docs/s") return Math.round(x).toLocaleString("en-US");
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function verdict(ok: boolean): string {
  return ok ? "met" : "not met";
}

function rows(): Row[] {
  return [
    {
      label: "Q1 count `status == X` (20%), ms",
      unit: "ms",
      value: (r) => r.countMs,
      target: (p, peers) => {
        const s = peers.get("SQLite");
        return s === undefined ? "≤ SQLite" : `≤ SQLite: ${verdict(p <= s.countMs)}`;
      },
    },
    { label: "W5 fetch `status == X`, decoded, ms", unit: "ms", value: (r) => r.fetchMs },
    {
      label: "W5 fetch `status == X`, decoded, docs/s",
      unit: "docs/s",
      value: (r) => r.fetchDocsPerSec,
      target: (p, peers) => {
        const l = peers.get("LMDB");
        return l === undefined ? "≥ LMDB" : `≥ LMDB: ${verdict(p >= l.fetchDocsPerSec)}`;
      },
    },
    {
      label: `Q2 \`amount\` range (width ${RANGE_WIDTH}) orderBy amount limit ${RANGE_LIMIT}, median ms`,
      unit: "ms",
      value: (r) => r.rangeMs,
      target: (p) => `≤ ${RANGE_TARGET_MS} ms: ${verdict(p <= RANGE_TARGET_MS)}`,
    },
    { label: "Q2 p99 ms", unit: "ms", value: (r) => r.rangeP99Ms },
    {
      label: `Q3 unindexed \`user startsWith "${TOP_PREFIX}"\` orderBy created desc limit ${TOP_LIMIT}, ms`,
      unit: "ms",
      value: (r) => r.topKMs,
    },
    { label: "Q4 Q2 as PQL (parse + execute), median ms", unit: "ms", value: (r) => r.pqlMs },
    { label: "load + settle, s (not a target)", unit: "ms", value: (r) => r.loadSec },
  ];
}

/** Whether every target returned the same counts, range keys and top-K keys as Planck. */
function agreement(results: readonly TargetResult[]): string {
  const planck = results.find((r) => r.name === "Planck") ?? results[0];
  if (planck === undefined) return "";
  const differ: string[] = [];
  for (const r of results) {
    if (r === planck) continue;
    if (r.counts.join() !== planck.counts.join()) differ.push(`${r.name} counts`);
    if (r.rangeKeys.join() !== planck.rangeKeys.join()) differ.push(`${r.name} Q2 keys`);
    if (r.topKeys.join() !== planck.topKeys.join()) differ.push(`${r.name} Q3 keys`);
  }
  return differ.length === 0
    ? `Results agree: the same counts (${planck.counts.join(", ")}), Q2 keys and Q3 keys on every target.`
    : `**Results differ from Planck's:** ${differ.join(", ")}.`;
}

/** The markdown table and its notes. */
export function renderQueryTable(results: readonly TargetResult[]): string {
  const byName = new Map(results.map((r) => [r.name, r]));
  const planck = byName.get("Planck");
  const lines = [
    "| query | Planck | SQLite | LMDB | Planck ÷ SQLite | Planck ÷ LMDB | target |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const row of rows()) {
    const p = planck === undefined ? undefined : row.value(planck);
    const cells = ["SQLite", "LMDB"].map((name) => {
      const r = byName.get(name);
      return r === undefined ? undefined : row.value(r);
    });
    const ratios = cells.map((c) =>
      p === undefined || c === undefined || c === 0 ? "–" : `${(p / c).toFixed(2)}×`
    );
    const target = p === undefined || row.target === undefined ? "–" : row.target(p, byName);
    lines.push(
      `| ${row.label} | ${fmt(p, row.unit)} | ${fmt(cells[0], row.unit)} | ${fmt(cells[1], row.unit)} | ` +
        `${ratios[0]} | ${ratios[1]} | ${target} |`,
    );
  }
  const configs = results.map((r) => `- ${r.name}: ${r.config}`).join("\n");
  return [lines.join("\n"), agreement(results), configs].join("\n\n");
}
