/**
 * `deno task soak`: Planck's app port under mixed load for a long time, watching for drift. For each
 * connection level (64, 256 and 1,024 by default) the QuickJS-tier bench service (bench/http/service)
 * is loaded for `--minutes` (10 by default) by two Debian `wrk` processes at once — 3/4 of the
 * connections GET one document by key, 1/4 POST a durable insert — in back-to-back windows of
 * WINDOW_S seconds. After every window the server's RSS (/proc/<pid>/status VmRSS), the p99 of both
 * loads, the requests and the errors are sampled. The report (bench/results/soak-<time>.md and .svg,
 * a chart of RSS and p99 over time) says, per level, whether memory is flat after the warm-up
 * (the least-squares RSS slope over the samples after WARMUP_S, in MiB per minute, against
 * RSS_SLOPE_FLAT_MIB_PER_MIN) and whether any request failed.
 *
 *   deno task soak [--minutes=10] [--levels=64,256,1024] [--docs=10000]
 *   deno task soak --minutes=0.5 --levels=64    a short smoke run
 */
import { ensureDataset } from "../http/dataset.ts";
import { ROUTES } from "../http/routes.ts";
import { startPlanck } from "../http/targets.ts";
import { ensureWrk, type LoadResult, runLoad } from "../http/wrk_driver.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATASET_DIR = `${ROOT}bench/.data/http-dataset`;
const RUN_DIR = `${ROOT}bench/.data/soak-${Deno.pid}`;
const RESULTS_DIR = `${ROOT}bench/results`;
/** Length of one sampling window, in seconds. */
const WINDOW_S = 10;
/** Samples before this much time into a level are warm-up: not part of the memory trend. */
const WARMUP_S = 60;
/** An RSS slope under this (MiB per minute, after warm-up) counts as flat. */
const RSS_SLOPE_FLAT_MIB_PER_MIN = 2;
/** Share of the connections that read; the rest write. */
const READ_SHARE = 0.75;
const log = (line: string) => console.error(`soak: ${line}`);

interface Sample {
  level: number;
  atS: number;
  rssMiB: number;
  readP99Ms: number;
  writeP99Ms: number;
  requests: number;
  errors: number;
}

function rssMiB(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  } catch {
    return NaN;
  }
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function chart(samples: Sample[], levels: number[]): string {
  const W = 900, H = 420, PAD = 50;
  const maxT = Math.max(1, ...samples.map((s) => s.atS));
  const maxRss = Math.max(1, ...samples.map((s) => s.rssMiB));
  const maxP99 = Math.max(1, ...samples.map((s) => Math.max(s.readP99Ms, s.writeP99Ms)));
  const x = (t: number) => PAD + (t / maxT) * (W - 2 * PAD);
  const yRss = (v: number) => H - PAD - (v / maxRss) * (H - 2 * PAD);
  const yP99 = (v: number) => H - PAD - (v / maxP99) * (H - 2 * PAD);
  const line = (pts: string, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#888"/>`,
    `<text x="${PAD}" y="20">RSS (blue, max ${maxRss.toFixed(0)} MiB) and p99 (read orange, write red, max ${
      maxP99.toFixed(1)
    } ms) over ${maxT.toFixed(0)} s; levels ${levels.join(", ")} connections</text>`,
    line(samples.map((s) => `${x(s.atS)},${yRss(s.rssMiB)}`).join(" "), "#2563eb"),
    line(samples.map((s) => `${x(s.atS)},${yP99(s.readP99Ms)}`).join(" "), "#f59e0b"),
    line(samples.map((s) => `${x(s.atS)},${yP99(s.writeP99Ms)}`).join(" "), "#dc2626"),
  ];
  for (const level of levels) {
    const first = samples.find((s) => s.level === level);
    if (first !== undefined) {
      parts.push(`<text x="${x(first.atS - WINDOW_S)}" y="${H - PAD + 16}">${level}</text>`);
    }
  }
  parts.push("</svg>");
  return parts.join("\n");
}

if (import.meta.main) {
  const minutes = Number(flag("minutes") ?? 10);
  const levels = (flag("levels") ?? "64,256,1024").split(",").map(Number);
  const docs = Number(flag("docs") ?? 10_000);
  if (!(minutes > 0) || levels.some((l) => !(l >= 2))) {
    console.error("usage: deno task soak [--minutes=N] [--levels=64,256,1024] [--docs=N]");
    Deno.exit(2);
  }
  if (!await ensureWrk(log)) {
    console.error("soak: wrk is not installed and could not be (apt-get install -y wrk): nothing measured");
    Deno.exit(1);
  }
  const data = await ensureDataset(DATASET_DIR, docs);
  log(`starting planck with ${docs} documents`);
  const [target] = await startPlanck(`${RUN_DIR}/planck`, data.jsonl);
  const read = ROUTES.find((r) => r.name === "get")!;
  const write = ROUTES.find((r) => r.name === "post")!;
  const samples: Sample[] = [];
  const started = performance.now();
  try {
    for (const level of levels) {
      const readers = Math.max(1, Math.round(level * READ_SHARE));
      const writers = Math.max(1, level - readers);
      const levelStart = performance.now();
      log(`${level} connections (${readers} reading, ${writers} writing) for ${minutes} min`);
      while ((performance.now() - levelStart) / 60_000 < minutes) {
        const base = { baseUrl: target.baseUrl, idsFile: data.ids, serverPid: target.pid, seconds: WINDOW_S };
        const [r, w]: LoadResult[] = await Promise.all([
          runLoad({ ...base, route: read, connections: readers }),
          runLoad({ ...base, route: write, connections: writers }),
        ]);
        const sample: Sample = {
          level,
          atS: (performance.now() - started) / 1000,
          rssMiB: rssMiB(target.pid),
          readP99Ms: r.p99Ms,
          writeP99Ms: w.p99Ms,
          requests: r.requests + w.requests,
          errors: r.errors + w.errors,
        };
        samples.push(sample);
        log(
          `${sample.atS.toFixed(0)} s: RSS ${sample.rssMiB.toFixed(0)} MiB, p99 read ${
            r.p99Ms.toFixed(1)
          } ms / ` +
            `write ${w.p99Ms.toFixed(1)} ms, ${sample.requests} requests, ${sample.errors} errors`,
        );
      }
    }
  } finally {
    await target.stop();
    await Deno.remove(RUN_DIR, { recursive: true }).catch(() => {});
  }

  const rows = levels.map((level) => {
    const mine = samples.filter((s) => s.level === level);
    const t0 = mine[0]?.atS ?? 0;
    const steady = mine.filter((s) => s.atS - t0 + WINDOW_S > WARMUP_S);
    const trend = slope(steady.map((s) => [s.atS / 60, s.rssMiB])); // MiB per minute
    const errors = mine.reduce((n, s) => n + s.errors, 0);
    const requests = mine.reduce((n, s) => n + s.requests, 0);
    const p99 = Math.max(...mine.map((s) => Math.max(s.readP99Ms, s.writeP99Ms)));
    const flat = steady.length < 3
      ? "too short to tell"
      : trend < RSS_SLOPE_FLAT_MIB_PER_MIN
      ? "flat"
      : "GROWING";
    return `| ${level} | ${mine.length} | ${requests} | ${errors} | ${p99.toFixed(1)} | ${
      mine.at(-1)?.rssMiB.toFixed(0)
    } | ${trend.toFixed(2)} | ${flat} |`;
  });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const md = [
    `# Soak: ${minutes} min per level, windows of ${WINDOW_S} s (${new Date().toISOString()})`,
    "",
    `Load average at the end: ${loadAverage()}. Chart: soak-${stamp}.svg.`,
    "",
    "| connections | windows | requests | errors | worst p99 ms | RSS end MiB | RSS slope MiB/min after warm-up | memory |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows,
    "",
    "| t s | connections | RSS MiB | read p99 ms | write p99 ms | requests | errors |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...samples.map((s) =>
      `| ${s.atS.toFixed(0)} | ${s.level} | ${s.rssMiB.toFixed(0)} | ${s.readP99Ms.toFixed(1)} | ${
        s.writeP99Ms.toFixed(1)
      } | ${s.requests} | ${s.errors} |`
    ),
  ].join("\n");
  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  await Deno.writeTextFile(`${RESULTS_DIR}/soak-${stamp}.md`, md + "\n");
  await Deno.writeTextFile(`${RESULTS_DIR}/soak-${stamp}.svg`, chart(samples, levels));
  console.log(md);
  log(`report: bench/results/soak-${stamp}.md and .svg`);
  const failed = samples.some((s) => s.errors > 0);
  Deno.exit(failed ? 1 : 0);
}
