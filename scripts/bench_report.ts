/**
 * Renders Planck's standing against its peers from a bench/peers results file: a ratio table
 * (one row per metric, Planck's figure then Planck's ratio to each peer) and the targets of the
 * open issues, each marked PASS or MISS with the margin.
 *
 * Invariants: a ratio above 1 always means Planck is better (for lower-is-better metrics the ratio
 * is peer ÷ Planck); a figure that is missing (peer failed, phase not reached) renders as "–" and a
 * target that cannot be evaluated is "n/a", never PASS.
 */

/** One phase record emitted by bench/peers/runner.ts (`@@{"phase": ...}`). */
export type Phase = Record<string, unknown> & { phase: string };

/** One peer's outcome in bench/peers/results/*.json. */
export interface PeerResult {
  peer: string;
  phases: Record<string, Phase>;
  status: string;
  error?: string;
  wallSec: number;
  loadavgBefore?: string;
}

/** A metric of the ratio table: where it lives in the results and which direction is better. */
export interface Metric {
  label: string;
  phase: string;
  field: string;
  /** Digits after the decimal point when the figure is printed. */
  digits: number;
  lowerIsBetter: boolean;
}

/** Every figure of the peers' tables that the ratio table compares. */
export const METRICS: readonly Metric[] = [
  {
    label: "W1 durable put ops/s",
    phase: "w1",
    field: "opsPerSec",
    digits: 0,
    lowerIsBetter: false,
  },
  {
    label: "W1 p50 ms",
    phase: "w1",
    field: "p50ms",
    digits: 3,
    lowerIsBetter: true,
  },
  {
    label: "W2 batched docs/s",
    phase: "w2",
    field: "docsPerSec",
    digits: 0,
    lowerIsBetter: false,
  },
  {
    label: "size ×raw",
    phase: "size",
    field: "amplification",
    digits: 2,
    lowerIsBetter: true,
  },
  {
    label: "clean reopen ms",
    phase: "reopen",
    field: "openAndFirstGetMs",
    digits: 1,
    lowerIsBetter: true,
  },
  {
    label: "reopen after SIGKILL ms",
    phase: "recover",
    field: "openAndFirstGetMs",
    digits: 1,
    lowerIsBetter: true,
  },
  {
    label: "W3 get ops/s",
    phase: "w3",
    field: "opsPerSec",
    digits: 0,
    lowerIsBetter: false,
  },
  {
    label: "W4 scan docs/s",
    phase: "w4",
    field: "docsPerSec",
    digits: 0,
    lowerIsBetter: false,
  },
  {
    label: "W5 count ms",
    phase: "w5",
    field: "countMs",
    digits: 2,
    lowerIsBetter: true,
  },
  {
    label: "W5 fetch docs/s",
    phase: "w5",
    field: "fetchDocsPerSec",
    digits: 0,
    lowerIsBetter: false,
  },
  {
    label: "W6 writes/s",
    phase: "w6",
    field: "writesPerSec",
    digits: 0,
    lowerIsBetter: false,
  },
  {
    label: "W6 reads/s",
    phase: "w6",
    field: "readsPerSec",
    digits: 0,
    lowerIsBetter: false,
  },
];

/** The peer whose figures are compared against every other one. */
export const SUBJECT = "planck";

/** A target's outcome, for the JSON beside the markdown. */
export interface TargetOutcome {
  target: string;
  /** The issue(s) the target belongs to, e.g. "#3". */
  issue: string;
  verdict: "PASS" | "MISS" | "n/a";
  planck?: number;
  required?: number;
  detail: string;
}

/** A figure of one peer, or undefined when the phase did not run or the field is not a number. */
export function figure(
  result: PeerResult | undefined,
  phase: string,
  field: string,
): number | undefined {
  const value = result?.phases[phase]?.[field];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Ratio where > 1 means Planck is better: Planck ÷ peer, or peer ÷ Planck when lower is better. */
export function betterRatio(
  planck: number | undefined,
  peer: number | undefined,
  lowerIsBetter: boolean,
) {
  if (planck === undefined || peer === undefined) return undefined;
  const [top, bottom] = lowerIsBetter ? [peer, planck] : [planck, peer];
  if (bottom === 0) return top === 0 ? 1 : Infinity;
  return top / bottom;
}

/** Formats a number with thousands separators and fixed decimals; "–" when missing. */
export function formatNumber(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Formats a ratio with two significant digits (three above 10), e.g. ×0.0042, ×1.3, ×27. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return "–";
  if (ratio === Infinity) return "×∞";
  if (ratio === 0) return "×0";
  if (ratio >= 100) return `×${formatNumber(ratio)}`;
  if (ratio >= 10) return `×${formatNumber(ratio, 1)}`;
  if (ratio >= 0.01) return `×${formatNumber(ratio, 2)}`;
  return `×${ratio.toPrecision(2)}`;
}

/** The ratio table in markdown: one row per metric, one ratio column per other peer. */
export function renderRatioTable(results: readonly PeerResult[]): string {
  const planck = results.find((r) => r.peer === SUBJECT);
  const peers = results.filter((r) => r.peer !== SUBJECT);
  const lines = [
    "### Planck ÷ peers",
    "",
    "Convention: every ratio is oriented so that **> 1 means Planck is better**. Higher-is-better metrics " +
    "show Planck ÷ peer; lower-is-better metrics (marked ↓) show peer ÷ Planck. “–” means a figure is missing.",
    "",
    `| metric | planck | ${peers.map((p) => `÷ ${p.peer}`).join(" | ")} |`,
    `|---|--:|${peers.map(() => "--:").join("|")}|`,
  ];
  for (const m of METRICS) {
    const own = figure(planck, m.phase, m.field);
    const cells = peers.map((p) =>
      formatRatio(
        betterRatio(own, figure(p, m.phase, m.field), m.lowerIsBetter),
      )
    );
    lines.push(
      `| ${m.label}${m.lowerIsBetter ? " ↓" : ""} | ${formatNumber(own, m.digits)} | ${cells.join(" | ")} |`,
    );
  }
  const lost = figure(planck, "recover", "lost");
  const checked = figure(planck, "recover", "checked");
  if (lost !== undefined) {
    lines.push(
      "",
      `Planck acknowledged W6 writes lost after SIGKILL: ${lost} of ${checked} checked.`,
    );
  }
  if (planck === undefined) {
    lines.push("", "Planck was not in this run: no ratios.");
  } else if (planck.status !== "ok") {
    lines.push(
      "",
      `Planck ${planck.status}: ${(planck.error ?? "").split("\n")[0]}`,
    );
  }
  return lines.join("\n");
}
