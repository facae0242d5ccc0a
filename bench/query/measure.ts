/**
 * Runs one target through the query benchmark: open, load, settle, then each query — warmed up
 * once, then timed one call at a time with performance.now() — and close. Every target sees the
 * same documents and the same seeded sequence of range bounds, so the figures are comparable.
 *
 * Invariants: the target is closed even when a query throws; a figure is the median of its
 * repetitions (p99 also for the range query, which repeats enough for one).
 */
import { STATUSES } from "../peers/lib/peer.ts";
import { AMOUNT_MAX, type Item, type QueryTarget, RANGE_WIDTH } from "./target.ts";

/** Documents per load() call (one write transaction / group each). */
const LOAD_CHUNK_DOCS = 5_000;

/** How many times each query runs. */
export interface Repetitions {
  /** Rounds over the five statuses for Q1 (count). */
  countRounds: number;
  /** Q2 and Q4 queries (random bounds). */
  rangeQueries: number;
  /** Q3 full scans. */
  topKQueries: number;
}

/** One target's figures. */
export interface TargetResult {
  name: string;
  config: string;
  loadSec: number;
  /** Q1: median ms per count, and the counts by status (must agree across targets). */
  countMs: number;
  counts: number[];
  /** W5 fetch, decoded: median ms per status and median docs/s. */
  fetchMs: number;
  fetchDocsPerSec: number;
  /** Q2: median and p99 ms per query. */
  rangeMs: number;
  rangeP99Ms: number;
  /** Q3: median ms per query. */
  topKMs: number;
  /** Q4 (Planck only): median ms per PQL parse + execute. */
  pqlMs?: number;
  /** Result keys of the first Q2 query and of Q3 (must agree across targets). */
  rangeKeys: string[];
  topKeys: string[];
}

function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The same pseudo-random range bounds for every target (sfc-like LCG, seeded). */
export function rangeBounds(count: number, seed = 42): [number, number][] {
  let state = seed >>> 0;
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const low = Math.floor((state / 4294967296) * (AMOUNT_MAX - RANGE_WIDTH));
    out.push([low, low + RANGE_WIDTH]);
  }
  return out;
}

/** Times `fn` once per element of `inputs`; returns the milliseconds of each call. */
async function timeEach<T>(inputs: readonly T[], fn: (input: T) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (const input of inputs) {
    const t0 = performance.now();
    await fn(input);
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function loadAll(target: QueryTarget, items: readonly Item[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < items.length; i += LOAD_CHUNK_DOCS) {
    await target.load(items.slice(i, i + LOAD_CHUNK_DOCS));
  }
  await target.settle();
  return (performance.now() - t0) / 1000;
}

async function fetchFigures(target: QueryTarget): Promise<{ ms: number; docsPerSec: number }> {
  const ms: number[] = [];
  const rates: number[] = [];
  await target.fetch(STATUSES[0]); // warm-up
  for (const status of STATUSES) {
    const t0 = performance.now();
    const n = await target.fetch(status);
    const elapsed = performance.now() - t0;
    ms.push(elapsed);
    rates.push(n / (elapsed / 1000));
  }
  return { ms: quantile(ms, 0.5), docsPerSec: quantile(rates, 0.5) };
}

async function measureQueries(
  target: QueryTarget,
  reps: Repetitions,
  log: (line: string) => void,
): Promise<Omit<TargetResult, "name" | "config" | "loadSec">> {
  const counts = await Promise.all(STATUSES.map((s) => target.count(s))); // also the warm-up
  const countInputs = Array.from({ length: reps.countRounds }, () => STATUSES).flat();
  const countSamples = await timeEach(countInputs, (s) => target.count(s));
  log(`${target.name}: count done`);
  const fetch = await fetchFigures(target);
  log(`${target.name}: fetch done`);
  const bounds = rangeBounds(reps.rangeQueries);
  const rangeKeys = await target.range(...bounds[0]);
  await timeEach(bounds.slice(0, 20), (b) => target.range(...b)); // warm-up
  const rangeSamples = await timeEach(bounds, (b) => target.range(...b));
  log(`${target.name}: range done`);
  const topKeys = await target.topK();
  const topSamples = await timeEach(new Array(reps.topKQueries).fill(0), () => target.topK());
  log(`${target.name}: top-K done`);
  let pqlMs: number | undefined;
  if (target.pqlRange !== undefined) {
    const pql = target.pqlRange.bind(target);
    await timeEach(bounds.slice(0, 20), (b) => pql(...b));
    pqlMs = quantile(await timeEach(bounds, (b) => pql(...b)), 0.5);
  }
  return {
    countMs: quantile(countSamples, 0.5),
    counts,
    fetchMs: fetch.ms,
    fetchDocsPerSec: fetch.docsPerSec,
    rangeMs: quantile(rangeSamples, 0.5),
    rangeP99Ms: quantile(rangeSamples, 0.99),
    topKMs: quantile(topSamples, 0.5),
    ...(pqlMs === undefined ? {} : { pqlMs }),
    rangeKeys,
    topKeys,
  };
}

/** Opens `target` under `dir`, loads `items`, measures every query, closes it. */
export async function measureTarget(
  target: QueryTarget,
  dir: string,
  items: readonly Item[],
  reps: Repetitions,
  log: (line: string) => void,
): Promise<TargetResult> {
  await target.open(dir);
  try {
    const loadSec = await loadAll(target, items);
    log(`${target.name}: loaded ${items.length} documents in ${loadSec.toFixed(1)} s`);
    const figures = await measureQueries(target, reps, log);
    return { name: target.name, config: target.config, loadSec, ...figures };
  } finally {
    await target.close();
  }
}
