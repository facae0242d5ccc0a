/**
 * `deno task bench`: Planck beside its peers in one run.
 *
 *   deno task bench                         full run (several minutes on 2 cores)
 *   deno task bench --quick                 small sizes, a smoke test (~1–2 min)
 *   deno task bench --peers=planck,lmdb     any peers of bench/peers/peers/index.ts
 *   deno task bench --no-query --no-wire    skip the query / wire benchmarks
 *   deno task bench --no-http               skip the HTTP benchmark
 *   deno task bench --no-ops                skip the operations benchmark (export, import, backup)
 *   deno task bench --no-sse                skip the SSE fan-out benchmark
 *   deno task bench --no-sse-raw            skip the raw socket write floor (bench/sse/raw_write_floor.ts)
 *   deno task bench --no-watch              skip the wire change-stream benchmark (bench/watch/main.ts)
 *   deno task bench --no-replication        skip the replication benchmark (bench/replication/main.ts)
 *   (also passed through to bench/peers/main.ts: --keep, --timeout=SEC, --data=DIR)
 *
 * Steps:
 *   1. `deno install` in bench/peers (its own deno.json and node_modules: the native peers);
 *   2. runs bench/peers/main.ts in a child process with the same Deno binary, streaming its
 *      progress to stderr (each peer runs in its own grandchild; see bench/peers/README.md);
 *   3. reads the results JSON and adds the ratio table and the targets to the peers' tables;
 *   4. runs the query benchmark (bench/query/main.ts: Planck's query executor beside SQLite and
 *      LMDB on 200k documents; skip with --no-query) and appends its table;
 *   5. runs the wire benchmark (bench/wire/main.ts: Planck's wire protocol beside PostgreSQL when
 *      installed; skip with --no-wire) and appends its table;
 *   6. runs the HTTP benchmark (bench/http/main.ts: Planck's app port beside Hono + node:sqlite under
 *      wrk; skip with --no-http) and appends its table;
 *   7. runs the operations benchmark (bench/ops/main.ts: export/import docs/s beside node:sqlite,
 *      backup and verify MB/s; skip with --no-ops) and appends its table;
 *   8. runs the SSE fan-out benchmark (bench/sse/main.ts: commit → event delivered with 1, 1,000 and
 *      10,000 subscribers, memory per subscriber; skip with --no-sse) and appends its table;
 *   9. writes bench/results/latest.md and latest.json (quick.md / quick.json with --quick) and
 *      prints the markdown.
 */
import { type PeerResult, renderRatioTable } from "./bench_report.ts";
import { evaluateTargets, renderTargets } from "./bench_targets.ts";
import { loadAverage } from "../bench/lib/run_facts.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const PEERS_DIR = `${ROOT}bench/peers`;
const RESULTS_DIR = `${ROOT}bench/results`;
/** Store files live here (ignored by git and by fmt/lint/check): removed per peer unless --keep. */
const DATA_DIR = `${ROOT}bench/.data`;
const DEFAULT_PEERS = "planck,sqlite-full,lmdb,leveldb,denokv";

/** Installs the peers' npm packages into bench/peers/node_modules (quick when already there). */
async function installPeerPackages(): Promise<void> {
  console.error(`bench: deno install in ${PEERS_DIR}`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--quiet"],
    cwd: PEERS_DIR,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!output.success) {
    // Keep going: a peer whose package is missing fails at load and the harness reports it.
    const text = new TextDecoder().decode(output.stderr) +
      new TextDecoder().decode(output.stdout);
    console.error(
      `bench: deno install failed (exit ${output.code}); continuing:\n${text.slice(-3000)}`,
    );
  }
}

/** Runs bench/peers/main.ts; its progress goes to our stderr, its markdown to the results files. */
async function runPeers(args: string[]): Promise<number> {
  const argv = ["run", "-A", "--unstable-kv", "main.ts", ...args];
  console.error(
    `bench: ${Deno.execPath()} ${argv.join(" ")}  (cwd ${PEERS_DIR})`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: argv,
    cwd: PEERS_DIR,
    stdin: "null",
    stdout: "null", // the same markdown is in results/<mode>.md, read below
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

/** The argument list for main.ts: the caller's flags, plus the default peers and data directory. */
function peersArgs(args: readonly string[]): string[] {
  const out = [...args];
  if (!out.some((a) => a.startsWith("--peers="))) {
    out.push(`--peers=${DEFAULT_PEERS}`);
  }
  if (!out.some((a) => a.startsWith("--data="))) out.push(`--data=${DATA_DIR}`);
  return out;
}

/** What one run of main.ts produced: its results JSON and its markdown tables. */
interface PeersOutput {
  json: { meta: Record<string, unknown>; results: PeerResult[] };
  markdown: string;
}

/** Reads main.ts's results; exits when there are none (main.ts failed before writing them). */
async function readPeersOutput(base: string, code: number): Promise<PeersOutput> {
  try {
    const json = JSON.parse(await Deno.readTextFile(`${base}.json`));
    const markdown = (await Deno.readTextFile(`${base}.md`)).trimEnd();
    return { json, markdown };
  } catch (error) {
    console.error(`bench: bench/peers/main.ts exited ${code} without results: ${(error as Error).message}`);
    Deno.exit(1);
  }
}

/** The suites that run after the peers, each a script printing one markdown table. */
const SUITES = [
  // bench/peers/deno.json: its import map and node_modules hold lmdb.
  { name: "Query", flag: "--no-query", script: "bench/query/main.ts", config: `${PEERS_DIR}/deno.json` },
  { name: "Wire", flag: "--no-wire", script: "bench/wire/main.ts" },
  { name: "HTTP", flag: "--no-http", script: "bench/http/main.ts" },
  { name: "Operations", flag: "--no-ops", script: "bench/ops/main.ts" },
  { name: "SSE", flag: "--no-sse", script: "bench/sse/main.ts" },
  { name: "SSE raw write floor", flag: "--no-sse-raw", script: "bench/sse/raw_write_floor.ts" },
  { name: "Watch", flag: "--no-watch", script: "bench/watch/main.ts" },
  { name: "Replication", flag: "--no-replication", script: "bench/replication/main.ts" },
] as const;

/** Runs one suite and returns its markdown (or a line saying why there is none). */
async function runSuite(suite: (typeof SUITES)[number], quick: boolean): Promise<string> {
  if (Deno.args.includes(suite.flag)) return `${suite.name} benchmark skipped (${suite.flag}).`;
  const config = "config" in suite ? ["--config", suite.config] : [];
  const argv = ["run", "-A", ...config, `${ROOT}${suite.script}`, ...(quick ? ["--quick"] : [])];
  console.error(`bench: ${Deno.execPath()} ${argv.join(" ")}`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: argv,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim();
  if (!output.success) return `${suite.name} benchmark failed (exit ${output.code}).\n\n${text}`;
  return text;
}

/** A warning when the machine was busier than its cores during the run, else undefined. */
function noiseWarning(results: readonly PeerResult[]): string | undefined {
  const loads = results.map((r) => Number(r.loadavgBefore)).filter((x) => Number.isFinite(x));
  const cores = navigator.hardwareConcurrency;
  if (loads.length === 0 || Math.max(...loads) <= cores) return undefined;
  return `**Noisy run:** the 1-minute load average before a peer ranged ${Math.min(...loads)}–` +
    `${Math.max(...loads)} on ${cores} cores (other work on the machine). Peers that ran under more load ` +
    "are depressed, which moves their ratios; prefer a run on a quiet machine.";
}

async function main(): Promise<void> {
  const skips: string[] = SUITES.map((suite) => suite.flag);
  const args = peersArgs(Deno.args.filter((a) => !skips.includes(a)));
  const mode = args.includes("--quick") ? "quick" : "latest";
  const base = `${PEERS_DIR}/results/${mode}`;
  const loadAverageBefore = loadAverage();
  await installPeerPackages();
  // Stale results must not pass for this run's: remove them first.
  for (const ext of ["json", "md"]) await Deno.remove(`${base}.${ext}`).catch(() => {});
  const started = performance.now();
  const exitCode = await runPeers(args);
  const wallSec = Math.round((performance.now() - started) / 1000);
  const peers = await readPeersOutput(base, exitCode);
  const targets = evaluateTargets(peers.json.results);
  const run = { args, loadAverageBefore, loadAverageAfter: loadAverage(), wallSec, exitCode };
  const warning = noiseWarning(peers.json.results);
  const suites: string[] = [];
  for (const suite of SUITES) suites.push(await runSuite(suite, mode === "quick"));
  const markdown = [
    peers.markdown,
    renderRatioTable(peers.json.results),
    renderTargets(targets),
    ...suites,
    ...(warning === undefined ? [] : [warning]),
    `Run: \`${["deno task bench", ...Deno.args].join(" ")}\` → bench/peers/main.ts ` +
    `${args.join(" ").replaceAll(ROOT, "")}; wall ${wallSec} s; load average (1/5/15 min) ` +
    `${loadAverageBefore} before, ${run.loadAverageAfter} after.`,
  ].join("\n\n") + "\n";
  await Deno.mkdir(RESULTS_DIR, { recursive: true });
  await Deno.writeTextFile(`${RESULTS_DIR}/${mode}.md`, markdown);
  const json = JSON.stringify({ ...peers.json, run, targets }, null, 2);
  await Deno.writeTextFile(`${RESULTS_DIR}/${mode}.json`, json + "\n");
  console.log(markdown);
  console.error(`bench: wrote bench/results/${mode}.md and ${mode}.json`);
}

if (import.meta.main) await main();
