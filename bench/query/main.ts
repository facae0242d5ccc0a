/**
 * Query benchmark: Planck's query executor beside SQLite (node:sqlite) and LMDB (npm:lmdb) in the
 * same run, on the same 200k documents (bench/peers/lib/docs.ts), each with indexes on status and
 * amount — Q1 count of `status == X` (20%), the W5 fetch of the same documents (decoded), Q2 an
 * indexed range with orderBy + limit 50, Q3 an unindexed filter with top-K, Q4 Q2 through PQL —
 * with the ratios and the targets (docs/benchmarks.md, "Query benchmark").
 *
 *   deno run -A --config bench/peers/deno.json bench/query/main.ts [--quick] [--docs=N]
 *     [--targets=planck,sqlite,lmdb] [--top-reps=N] [--json=FILE]
 *
 * Needs bench/peers/deno.json (its import map and node_modules hold lmdb). Steps: generate the
 * documents once; per target: fresh directory under bench/.data/, load, measure, close, remove;
 * print the markdown (and write JSON when asked).
 */
import { makeItems } from "../peers/lib/docs.ts";
import { lmdbTarget } from "./lmdb_target.ts";
import { measureTarget, type Repetitions, type TargetResult } from "./measure.ts";
import { planckTarget } from "./planck_target.ts";
import { renderQueryTable } from "./render.ts";
import { sqliteTarget } from "./sqlite_target.ts";
import type { QueryTarget } from "./target.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA_DIR = `${ROOT}bench/.data/query-${Deno.pid}`;
const FULL_DOCS = 200_000;
const QUICK_DOCS = 20_000;

const TARGETS: Record<string, () => QueryTarget> = {
  planck: planckTarget,
  sqlite: sqliteTarget,
  lmdb: lmdbTarget,
};

function log(line: string): void {
  console.error(`bench query: ${line}`);
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const docs = Number(flag("docs") ?? (quick ? QUICK_DOCS : FULL_DOCS));
  const reps: Repetitions = {
    countRounds: quick ? 2 : 4,
    rangeQueries: 200,
    topKQueries: Number(flag("top-reps") ?? (quick ? 5 : 20)),
  };
  const names = (flag("targets") ?? "planck,sqlite,lmdb").split(",");
  const before = loadAverage();
  log(`generating ${docs} documents`);
  const items = makeItems(0, docs);
  const results: TargetResult[] = [];
  try {
    for (const name of names) {
      const make = TARGETS[name];
      if (make === undefined) {
        throw new Error(`unknown target "${name}" (have ${Object.keys(TARGETS).join(", ")})`);
      }
      results.push(await measureTarget(make(), `${DATA_DIR}/${name}`, items, reps, log));
      await Deno.remove(`${DATA_DIR}/${name}`, { recursive: true }).catch(() => {});
    }
  } finally {
    await Deno.remove(DATA_DIR, { recursive: true }).catch(() => {});
  }
  const markdown = `## Queries: Planck beside SQLite and LMDB\n\n${renderQueryTable(results)}\n\n` +
    `${docs} documents (≈ 300 B BSON; status uniform over 5 values, amount uniform in [0, 10000)), loaded in ` +
    `chunks of 5000; Q1 median of ${reps.countRounds * 5} counts, fetch median over the 5 statuses, Q2/Q4 ` +
    `median of ${reps.rangeQueries} queries with seeded random bounds, Q3 median of ${reps.topKQueries} ` +
    `full scans; one warm-up first. Every result is decoded to JS objects on every target and held as a result set until the query returns. The W5 table above ` +
    `(bench/peers) has the raw-bytes fetch. Load average ${before} before, ${loadAverage()} after.\n`;
  console.log(markdown);
  const json = flag("json");
  if (json !== undefined) {
    await Deno.writeTextFile(json, JSON.stringify({ docs, reps, results }, null, 2) + "\n");
  }
}

if (import.meta.main) await main();
