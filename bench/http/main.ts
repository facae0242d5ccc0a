/**
 * HTTP benchmark: Planck's app port (both tiers: QuickJS and native AssemblyScript services deployed in
 * one instance) beside the Hono + node:sqlite peer (the seed HTTP peer,
 * adapted in bench/http/peer/) in the same run, loaded by Debian `wrk` — GET one document by key
 * as an HTML fragment, GET a list of 20 by an index, POST one durable insert — with req/s, p50/p99,
 * server CPU µs/request, the ratios and the targets (GET ≥ 1.0× the peer, list ≥ 1.5×,
 * POST ≥ 5× with p99 ≤ 10 ms).
 *
 *   deno run -A bench/http/main.ts [--quick] [--seconds=N] [--connections=64] [--docs=N]
 *     [--routes=get,list,post] [--json=FILE] [--no-stages] [--stage-seconds=N]
 *
 * Steps: 1. find wrk (apt-get install it when missing; without it, say so and skip); 2. write the
 * seeded data set once under bench/.data/; 3. start both targets on free ports with fresh
 * directories and the same documents; 4. per route: smoke-check, warm up, wait for the server to go
 * idle, measure — the peer, then Planck; 5. stop both by pid, remove their directories, print markdown (and JSON when asked);
 * 6. unless --no-stages, the request-path stage table (bench/http/profile_http.ts, run as its own
 * process after both targets stopped).
 */
import { ensureDataset } from "./dataset.ts";
import { renderMarkdown, type RouteOutcome, verdict } from "./report.ts";
import { ROUTES, smoke } from "./routes.ts";
import { type HttpTarget, startPeer, startPlanck } from "./targets.ts";
import { ensureWrk, type LoadResult, runLoad, settle } from "./wrk_driver.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The data set is kept between runs; each run's stores are removed at its end. */
const DATASET_DIR = `${ROOT}bench/.data/http-dataset`;
const RUN_DIR = `${ROOT}bench/.data/http-${Deno.pid}`;
const DOCS_DEFAULT = 10_000;
const CONNECTIONS_DEFAULT = 64;
const log = (line: string) => console.error(`bench http: ${line}`);

async function wrkVersion(): Promise<string> {
  const output = await new Deno.Command("wrk", { args: ["-v"], stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return text.split("\n")[0].split(" [")[0].trim();
}

/** Starts a target; on failure returns why, so the other side can still be measured. */
async function tryStart<T>(name: string, start: () => Promise<T>): Promise<T | string> {
  try {
    log(`starting ${name}`);
    return await start();
  } catch (error) {
    const message = (error as Error).message;
    log(`${name} failed to start: ${message}`);
    return `did not start: ${message.split("\n")[0]}`;
  }
}

interface Plan {
  connections: number;
  seconds: number;
  warmupSeconds: number;
  idsFile: string;
  sampleId: string;
}

/** Smoke-checks, warms up and measures one route on one target; a failure becomes its reason. */
async function measure(
  target: HttpTarget | string,
  route: typeof ROUTES[number],
  plan: Plan,
): Promise<LoadResult | string> {
  if (typeof target === "string") return target;
  try {
    await smoke(target.baseUrl, route, plan.sampleId);
    const base = { baseUrl: target.baseUrl, route, idsFile: plan.idsFile, serverPid: target.pid };
    if (plan.warmupSeconds > 0) {
      await runLoad({ ...base, connections: plan.connections, seconds: plan.warmupSeconds });
      const waitedMs = await settle(target.pid);
      if (waitedMs > 1_000) {
        log(`${target.name} ${route.name}: ${waitedMs.toFixed(0)} ms to go idle after the warm-up`);
      }
    }
    const r = await runLoad({ ...base, connections: plan.connections, seconds: plan.seconds });
    log(
      `${target.name} ${route.name}: ${r.rps.toFixed(0)} req/s p50 ${r.p50Ms.toFixed(2)} ms p99 ` +
        `${r.p99Ms.toFixed(2)} ms errors ${r.errors} cpu ${r.cpuUsPerRequest?.toFixed(1) ?? "–"} µs/req`,
    );
    return r;
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    log(`${target.name} ${route.name} failed: ${message}`);
    return message;
  }
}

/** The request-path stage table (profile_http.ts in a process of its own), or why it is missing. */
async function stageTable(routes: string[], quick: boolean): Promise<string> {
  const seconds = flag("stage-seconds") ?? (quick ? "2" : "4");
  log(`request-path stages: ${seconds} s per route and tier`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}bench/http/profile_http.ts`,
      `--seconds=${seconds}`,
      `--routes=${routes.join(",")}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  return output.success ? text : `### Request-path stages\n\nprofile_http.ts failed (exit ${output.code}).\n`;
}

async function main(): Promise<number> {
  const quick = Deno.args.includes("--quick");
  if (!(await ensureWrk(log))) {
    console.log(
      "## HTTP: Planck beside Hono + node:sqlite\n\nwrk is not installed and could not be installed " +
        "(apt-get install -y wrk failed): HTTP benchmark skipped.\n",
    );
    return 0;
  }
  const docs = Number(flag("docs") ?? DOCS_DEFAULT);
  const wanted = (flag("routes") ?? "get,list,post").split(",");
  const routes = ROUTES.filter((r) => wanted.includes(r.name));
  const data = await ensureDataset(DATASET_DIR, docs);
  const plan: Plan = {
    connections: Number(flag("connections") ?? CONNECTIONS_DEFAULT),
    seconds: Number(flag("seconds") ?? (quick ? 2 : 10)),
    warmupSeconds: quick ? 1 : 2,
    idsFile: data.ids,
    sampleId: (await Deno.readTextFile(data.ids)).split("\n")[0],
  };
  const before = loadAverage();
  const peer = await tryStart("hono-sqlite", () => startPeer(`${RUN_DIR}/peer`, data.jsonl));
  const tiers = await tryStart("planck", () => startPlanck(`${RUN_DIR}/planck`, data.jsonl));
  const [planck, native] = typeof tiers === "string" ? [tiers, tiers] : tiers;
  const started = [peer, planck, native].filter((t): t is HttpTarget => typeof t !== "string");
  const stopAll = async () => {
    for (const t of started) if (t !== native) await t.stop(); // native shares planck's process
  };
  Deno.addSignalListener("SIGINT", async () => {
    await stopAll();
    Deno.exit(130);
  });
  const outcomes: RouteOutcome[] = [];
  try {
    for (const route of routes) {
      const peerResult = await measure(peer, route, plan);
      const planckResult = await measure(planck, route, plan);
      const nativeResult = await measure(native, route, plan);
      outcomes.push({ route, tier: "js", planck: planckResult, peer: peerResult });
      outcomes.push({ route, tier: "native", planck: nativeResult, peer: peerResult });
    }
  } finally {
    await stopAll();
    await Deno.remove(RUN_DIR, { recursive: true }).catch(() => {});
  }
  const markdown = renderMarkdown(outcomes, {
    ...plan,
    docs,
    wrkVersion: await wrkVersion(),
    loadAverageBefore: before,
    loadAverageAfter: loadAverage(),
    targets: started.map((t) => ({ name: t.name, label: t.label, info: t.info })),
  });
  console.log(markdown);
  if (!Deno.args.includes("--no-stages")) console.log(await stageTable(wanted, quick));
  const json = flag("json");
  if (json !== undefined) {
    const verdicts = outcomes.map(verdict);
    await Deno.writeTextFile(json, JSON.stringify({ plan, docs, outcomes, verdicts }, null, 2) + "\n");
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
