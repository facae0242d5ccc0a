/**
 * Is `Deno.serve` the floor? One run, the same wrk driver and load.lua as bench/http/main.ts
 * (GET /item/{id} with random keys, 64 connections, loopback), against five servers, one at a time:
 *
 * 1. bare `Deno.serve` with a fixed 200 body;
 * 2. a minimal HTTP/1.1 keep-alive server in TypeScript on `Deno.listen` (bench/http/floor_servers.ts);
 * 3. `node:http` `createServer` with the same fixed body;
 * 4. the peer's GET route (Hono + node:sqlite, bench/http/peer/);
 * 5. Planck's native tier GET (bench/http/service_native, in `main.ts start`).
 *
 * Prints a markdown table of req/s, p50/p99 and the server's CPU µs per request (/proc/<pid>/stat),
 * with the load average before and after.
 *
 *   deno run -A bench/http/serve_floor.ts [--seconds=5] [--connections=64] [--only=deno-serve,...]
 *
 * Invariants: each server is its own process, started, warmed up, settled, measured and stopped
 * before the next; only processes this script started are signalled; its directories are removed.
 */
import { ensureDataset } from "./dataset.ts";
import { FLOOR_KINDS, type FloorKind } from "./floor_servers.ts";
import { ROUTES, smoke } from "./routes.ts";
import { ServerProcess } from "./server_process.ts";
import { type HttpTarget, startPeer, startPlanck } from "./targets.ts";
import { ensureWrk, type LoadResult, runLoad, settle } from "./wrk_driver.ts";
import { flag, loadAverage } from "../lib/run_facts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATASET_DIR = `${ROOT}bench/.data/http-dataset`;
const RUN_DIR = `${ROOT}bench/.data/http-floor-${Deno.pid}`;
const FLOOR_MAIN = `${ROOT}bench/http/floor_servers.ts`;
const DOCS = 10_000;
const WARMUP_S = 1;
const GET = ROUTES.find((r) => r.name === "get")!;
const log = (line: string) => console.error(`serve floor: ${line}`);

/** One row of the table. */
interface Row {
  name: string;
  what: string;
  result: LoadResult | string;
}

const SERVERS: { name: string; what: string }[] = [
  { name: "deno-serve", what: "bare `Deno.serve`, fixed 200 body" },
  { name: "deno-listen", what: "minimal HTTP/1.1 on `Deno.listen` (TS parser), fixed body" },
  { name: "node-http", what: "`node:http` `createServer`, fixed body" },
  { name: "peer", what: "peer GET /item/:key (Hono + node:sqlite)" },
  { name: "planck-native", what: "Planck native tier GET /item/:key" },
];

async function startFloor(kind: FloorKind): Promise<HttpTarget> {
  const argv = [Deno.execPath(), "run", "-A", FLOOR_MAIN, `--kind=${kind}`];
  const { server, match } = await ServerProcess.start(argv, {
    ready: /^READY (http:\/\/127\.0\.0\.1:\d+)/,
    cwd: ROOT,
  });
  return { name: kind, label: kind, baseUrl: match[1], pid: server.pid, info: "", stop: () => server.stop() };
}

async function start(name: string, jsonl: string): Promise<HttpTarget> {
  if ((FLOOR_KINDS as readonly string[]).includes(name)) return await startFloor(name as FloorKind);
  if (name === "peer") return await startPeer(`${RUN_DIR}/peer`, jsonl);
  const [quickjs, native] = await startPlanck(`${RUN_DIR}/planck`, jsonl);
  return { ...native, stop: () => quickjs.stop() };
}

async function measure(target: HttpTarget, idsFile: string, sampleId: string): Promise<LoadResult> {
  const seconds = Number(flag("seconds") ?? 5);
  const connections = Number(flag("connections") ?? 64);
  const base = { baseUrl: target.baseUrl, route: GET, idsFile, serverPid: target.pid, connections };
  if (target.name === "peer" || target.name === "planck-native") await smoke(target.baseUrl, GET, sampleId);
  await runLoad({ ...base, seconds: WARMUP_S });
  await settle(target.pid);
  return await runLoad({ ...base, seconds });
}

function render(rows: Row[], before: string, after: string): string {
  const out = [
    `### Is Deno.serve the floor? (GET, ${flag("connections") ?? 64} connections, ${
      flag("seconds") ?? 5
    } s each, load average ${before} before, ${after} after)`,
    "",
    "| server | req/s | p50 ms | p99 ms | server CPU µs/req | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { what, result: r } of rows) {
    if (typeof r === "string") out.push(`| ${what} | ${r} | | | | |`);
    else {
      out.push(
        `| ${what} | ${Math.round(r.rps).toLocaleString("en-US")} | ${r.p50Ms.toFixed(2)} | ${
          r.p99Ms.toFixed(2)
        } | ${r.cpuUsPerRequest?.toFixed(1) ?? "–"} | ${r.errors} |`,
      );
    }
  }
  return out.join("\n") + "\n";
}

async function main(): Promise<number> {
  if (!(await ensureWrk(log))) {
    console.log("wrk is not installed and could not be installed: serve floor skipped.");
    return 0;
  }
  const data = await ensureDataset(DATASET_DIR, DOCS);
  const sampleId = (await Deno.readTextFile(data.ids)).split("\n")[0];
  const only = flag("only")?.split(",");
  const before = loadAverage();
  const rows: Row[] = [];
  try {
    for (const s of SERVERS.filter((s) => only === undefined || only.includes(s.name))) {
      log(`starting ${s.name}`);
      let target: HttpTarget | undefined;
      try {
        target = await start(s.name, data.jsonl);
        const r = await measure(target, data.ids, sampleId);
        log(
          `${s.name}: ${r.rps.toFixed(0)} req/s, cpu ${
            r.cpuUsPerRequest?.toFixed(1)
          } µs/req, load ${r.loadAverage}`,
        );
        rows.push({ ...s, result: r });
      } catch (error) {
        rows.push({ ...s, result: `failed: ${(error as Error).message.split("\n")[0]}` });
      } finally {
        await target?.stop();
      }
    }
  } finally {
    await Deno.remove(RUN_DIR, { recursive: true }).catch(() => {});
  }
  console.log(render(rows, before, loadAverage()));
  return 0;
}

if (import.meta.main) Deno.exit(await main());
