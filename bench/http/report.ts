/**
 * The HTTP benchmark's verdicts and markdown: one row per route with both targets' req/s, p50/p99
 * and server CPU µs/request, the Planck ÷ peer ratio and the issue's target as PASS or MISS.
 *
 * Invariants: a route with a failed side is a MISS that says why; a run with errors (non-2xx,
 * timeouts, socket errors) is a MISS even when the figures meet the target.
 */
import type { Route } from "./routes.ts";
import type { LoadResult } from "./wrk_driver.ts";

/** Both sides of one route: a result, or why there is none. */
export interface RouteOutcome {
  route: Route;
  /** Which Planck tier served it: "js" (QuickJS) or "native" (core-wasm, AssemblyScript). */
  tier: "js" | "native";
  planck: LoadResult | string;
  peer: LoadResult | string;
}

/** The ratio a tier must reach on a route (the native tier's GET target is issue #7's). */
export function ratioMin(o: Pick<RouteOutcome, "route" | "tier">): number {
  return o.tier === "native" ? o.route.nativeRatioMin ?? o.route.ratioMin : o.route.ratioMin;
}

/** The target of one route, judged. */
export interface Verdict {
  route: Route["name"];
  tier: RouteOutcome["tier"];
  ratio: number | null;
  pass: boolean;
  /** What was required and, on a miss, why it was missed. */
  detail: string;
}

/** Judges one route against its target. */
export function verdict(o: RouteOutcome): Verdict {
  const p99Max = o.tier === "native" ? o.route.p99MsMax : undefined;
  const goal = `≥ ${ratioMin(o).toFixed(1)}×` + (p99Max === undefined ? "" : `, p99 ≤ ${p99Max} ms`);
  if (typeof o.planck === "string" || typeof o.peer === "string") {
    const why = typeof o.planck === "string" ? `Planck failed: ${o.planck}` : `peer failed: ${o.peer}`;
    return { route: o.route.name, tier: o.tier, ratio: null, pass: false, detail: `${goal}: ${why}` };
  }
  const ratio = o.planck.rps / o.peer.rps;
  const misses: string[] = [];
  if (ratio < ratioMin(o)) misses.push(`ratio ${ratio.toFixed(2)}×`);
  if (p99Max !== undefined && o.planck.p99Ms > p99Max) {
    misses.push(`p99 ${ms(o.planck.p99Ms)} ms`);
  }
  if (o.planck.errors > 0) misses.push(`${o.planck.errors} errors`);
  const pass = misses.length === 0;
  return {
    route: o.route.name,
    tier: o.tier,
    ratio,
    pass,
    detail: pass ? goal : `${goal}; ${misses.join(", ")}`,
  };
}

/** A number with thousands separators and `digits` decimals; "–" when absent. */
export function fmt(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Latency in ms with a precision that suits its size. */
export function ms(x: number): string {
  return x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1);
}

function cells(r: LoadResult | string): string[] {
  if (typeof r === "string") return ["failed", "–", "–", "–"];
  const errors = r.errors > 0 ? ` (${fmt(r.errors)} err)` : "";
  return [fmt(r.rps) + errors, ms(r.p50Ms), ms(r.p99Ms), fmt(r.cpuUsPerRequest, 1)];
}

/** Facts about the run that go under the table. */
export interface RunFacts {
  connections: number;
  seconds: number;
  warmupSeconds: number;
  docs: number;
  wrkVersion: string;
  loadAverageBefore: string;
  loadAverageAfter: string;
  targets: { name: string; label: string; info: string }[];
}

/** The markdown section: heading, table, failures, method and run facts. */
export function renderMarkdown(outcomes: readonly RouteOutcome[], facts: RunFacts): string {
  const lines = [
    "## HTTP: Planck beside Hono + node:sqlite",
    "",
    "| route | tier | Planck req/s | p50 ms | p99 ms | CPU µs/req | peer req/s | p50 ms | p99 ms | CPU µs/req | Planck ÷ peer | target |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  const failures: string[] = [];
  for (const o of outcomes) {
    const v = verdict(o);
    const ratio = v.ratio === null ? "–" : `${v.ratio.toFixed(2)}×`;
    lines.push(
      `| ${o.route.label} | ${o.tier === "native" ? "native (AssemblyScript)" : "QuickJS"} | ${
        cells(o.planck).join(" | ")
      } | ${cells(o.peer).join(" | ")} | ${ratio} | ` +
        `${v.pass ? "PASS" : "MISS"} (${v.detail}) |`,
    );
    if (typeof o.planck === "string") failures.push(`- Planck ${o.tier} ${o.route.name}: ${o.planck}`);
    if (typeof o.peer === "string") failures.push(`- peer ${o.route.name}: ${o.peer}`);
  }
  if (failures.length > 0) lines.push("", "Failures:", ...failures);
  lines.push(
    "",
    `${facts.connections} connections, wrk -t2 (${facts.wrkVersion}), ${facts.seconds} s per route after a ` +
      `${facts.warmupSeconds} s warm-up (then a wait until the server is idle); targets interleaved per route (peer first). ${
        fmt(facts.docs)
      } ` +
      "documents (~300 B) preloaded into both; GET keys uniform over them, list statuses uniform over 5 " +
      "(~20% of the documents each). POST bodies are urlencoded forms; both sides answer only after the " +
      "insert is durable (Planck durability sync with group commit; SQLite WAL synchronous=FULL, one fsync " +
      "per autocommit). CPU µs/req = server process utime+stime (/proc/<pid>/stat) over the run ÷ requests. " +
      `Load average ${facts.loadAverageBefore} before, ${facts.loadAverageAfter} after.`,
    "",
    ...facts.targets.map((t) => `- \`${t.name}\`: ${t.label}${t.info ? ` (${t.info})` : ""}`),
  );
  return lines.join("\n") + "\n";
}
