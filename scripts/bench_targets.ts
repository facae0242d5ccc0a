/**
 * The performance targets of the open issues, evaluated on one bench/peers results file. Each
 * target compares one Planck figure with a fixed bound or with another peer's figure from the same
 * run, and says PASS or MISS with the margin. Each target names the issue(s) it belongs to (#2 foundation,
 * #3 persistent tiers, #4 query layer).
 *
 * Invariants: a target whose figures are missing is "n/a", never PASS; a margin is Planck's figure
 * relative to the bound (−42% = 42% short of a lower bound, +75% = 75% over an upper bound).
 */
import { figure, formatNumber, type PeerResult, SUBJECT, type TargetOutcome } from "./bench_report.ts";

/** W6 target: Planck's durable writes/s over the best other store's. */
const W6_WRITES_FACTOR = 8;
/** W4 target, in documents per second. */
const W4_DOCS_PER_SEC_MIN = 300_000;
/** Size target: bytes on disk after W2 over raw BSON bytes. */
const SIZE_AMPLIFICATION_MAX = 1.2;
/** Reopen target, in milliseconds (open + first get). */
const REOPEN_MS_MAX = 50;
/** Issue 3: recovery after SIGKILL within this many ms. */
const RECOVERY_MS_MAX = 200;
/** Peers that are not stores (no durability): never the "best other peer". */
const NOT_A_STORE = new Set(["js-map"]);

interface Bound {
  /** What Planck's figure is compared with, and where that comes from. */
  value: number | undefined;
  source: string;
}

/** Evaluates every target against `results`. */
export function evaluateTargets(
  results: readonly PeerResult[],
): TargetOutcome[] {
  const planck = results.find((r) => r.peer === SUBJECT);
  const of = (peer: string, phase: string, field: string): Bound => {
    const result = results.find((r) => r.peer === peer);
    const value = figure(result, phase, field);
    return {
      value,
      source: result === undefined
        ? `${peer} not in this run`
        : value === undefined
        ? `${peer} failed`
        : peer,
    };
  };
  const own = (phase: string, field: string) => figure(planck, phase, field);
  const w6Best = bestOther(results, "w6", "writesPerSec");
  const w6Bound: Bound = {
    value: w6Best.value === undefined ? undefined : w6Best.value * W6_WRITES_FACTOR,
    source: `${W6_WRITES_FACTOR}× ${w6Best.source}`,
  };
  const fixed = (value: number): Bound => ({ value, source: "fixed" });
  return [
    atLeast(
      "W1 durable put ops/s ≥ sqlite-full",
      "#2, #3",
      own("w1", "opsPerSec"),
      of("sqlite-full", "w1", "opsPerSec"),
    ),
    atLeast(
      `W6 writes/s ≥ ${W6_WRITES_FACTOR}× best other peer`,
      "#2, #3",
      own("w6", "writesPerSec"),
      w6Bound,
    ),
    atLeast(
      "W3 get ops/s ≥ lmdb",
      "#2, #3",
      own("w3", "opsPerSec"),
      of("lmdb", "w3", "opsPerSec"),
    ),
    atMost(
      "no acknowledged write lost after SIGKILL",
      "#2, #3",
      own("recover", "lost"),
      fixed(0),
    ),
    atLeast(
      "W2 batched docs/s ≥ leveldb",
      "#3",
      own("w2", "docsPerSec"),
      of("leveldb", "w2", "docsPerSec"),
    ),
    atLeast(
      `W4 scan docs/s ≥ ${formatNumber(W4_DOCS_PER_SEC_MIN)}`,
      "#3",
      own("w4", "docsPerSec"),
      fixed(W4_DOCS_PER_SEC_MIN),
    ),
    atMost(
      `size ≤ ${SIZE_AMPLIFICATION_MAX}× raw`,
      "#3",
      own("size", "amplification"),
      fixed(SIZE_AMPLIFICATION_MAX),
    ),
    atMost(
      `clean reopen ≤ ${REOPEN_MS_MAX} ms`,
      "#3",
      own("reopen", "openAndFirstGetMs"),
      fixed(REOPEN_MS_MAX),
    ),
    atMost(
      `reopen after SIGKILL ≤ ${RECOVERY_MS_MAX} ms`,
      "#3",
      own("recover", "openAndFirstGetMs"),
      fixed(RECOVERY_MS_MAX),
    ),
    atMost(
      "W5 count ms ≤ sqlite-full",
      "#4",
      own("w5", "countMs"),
      of("sqlite-full", "w5", "countMs"),
    ),
    atLeast(
      "W5 fetch docs/s ≥ lmdb",
      "#4",
      own("w5", "fetchDocsPerSec"),
      of("lmdb", "w5", "fetchDocsPerSec"),
    ),
  ];
}

/** The targets as a markdown block. */
export function renderTargets(outcomes: readonly TargetOutcome[]): string {
  const lines = [
    "### Targets (open issues)",
    "",
    "| target | verdict | detail |",
    "|---|---|---|",
  ];
  for (const t of outcomes) {
    lines.push(
      `| ${t.target} (${t.issue}) | **${t.verdict}** | ${t.detail} |`,
    );
  }
  return lines.join("\n");
}

/** The highest figure among the stores other than Planck, with its peer's name. */
function bestOther(
  results: readonly PeerResult[],
  phase: string,
  field: string,
): Bound {
  let best: Bound = { value: undefined, source: "no other store in this run" };
  for (const r of results) {
    if (r.peer === SUBJECT || NOT_A_STORE.has(r.peer)) continue;
    const value = figure(r, phase, field);
    if (
      value !== undefined && (best.value === undefined || value > best.value)
    ) {
      best = { value, source: `${r.peer} (${formatNumber(value)})` };
    }
  }
  return best;
}

function atLeast(
  target: string,
  issue: string,
  planck: number | undefined,
  bound: Bound,
): TargetOutcome {
  if (planck === undefined || bound.value === undefined) {
    return missing(target, issue, planck, bound);
  }
  const pass = planck >= bound.value;
  const margin = bound.value === 0
    ? ""
    : `: ${percent(planck / bound.value - 1)} (×${ratio(planck / bound.value)})`;
  return {
    target,
    issue,
    verdict: pass ? "PASS" : "MISS",
    planck,
    required: bound.value,
    detail: `${show(planck)} ${pass ? "≥" : "<"} ${show(bound.value)} (${bound.source})${margin}`,
  };
}

function atMost(
  target: string,
  issue: string,
  planck: number | undefined,
  bound: Bound,
): TargetOutcome {
  if (planck === undefined || bound.value === undefined) {
    return missing(target, issue, planck, bound);
  }
  const pass = planck <= bound.value;
  const margin = bound.value === 0
    ? ""
    : `: ${percent(planck / bound.value - 1)} (×${ratio(planck / bound.value)} the bound)`;
  return {
    target,
    issue,
    verdict: pass ? "PASS" : "MISS",
    planck,
    required: bound.value,
    detail: `${show(planck)} ${pass ? "≤" : ">"} ${show(bound.value)} (${bound.source})${margin}`,
  };
}

function missing(
  target: string,
  issue: string,
  planck: number | undefined,
  bound: Bound,
): TargetOutcome {
  const why = planck === undefined ? "Planck has no figure" : `no bound: ${bound.source}`;
  return {
    target,
    issue,
    verdict: "n/a",
    planck,
    required: bound.value,
    detail: why,
  };
}

function show(value: number): string {
  return formatNumber(
    value,
    Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 2,
  );
}

function percent(fraction: number): string {
  const sign = fraction >= 0 ? "+" : "−";
  return `${sign}${formatNumber(Math.abs(fraction) * 100, Math.abs(fraction) >= 0.1 ? 0 : 1)}%`;
}

function ratio(value: number): string {
  return value >= 10 ? formatNumber(value, 0) : value >= 0.01 ? formatNumber(value, 2) : value.toPrecision(2);
}
