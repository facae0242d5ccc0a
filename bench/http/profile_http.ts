/**
 * The request-path profile: both bench services (QuickJS tier at "/", native tier under
 * "/native") deployed into a temp database seeded with the bench data set, served by `serveApp` on
 * a free port in this process, loaded by wrk (a subprocess) while V8's sampling profiler runs.
 * Prints, per route and tier, the process's CPU µs per request split into the stages of
 * bench/http/stages.ts (accept/parse, routing, transaction open, each host call, guest time,
 * encode, reply, commit, metrics, GC, other threads) as a markdown table; `deno task bench` runs it
 * after the HTTP comparison. With `--top`, also the functions with the most self time.
 *
 *   deno run -A bench/http/profile_http.ts [--routes=get,list,post] [--tiers=js,native]
 *     [--seconds=5] [--top=30] [--sync=inline|async (default)] [--dump=DIR] [--json=FILE]
 *
 * Invariants: the server and the load generator never share a process (wrk runs apart), so the CPU
 * figure is the server's own; the temp database is removed at the end.
 */
import { openDatabase } from "../../engine/mod.ts";
import { transaction } from "../../engine/tx/transaction.ts";
import { serveApp } from "../../host/http/server.ts";
import { SERVER_SYNC_METHOD } from "../../host/server/server.ts";
import { buildNativeService } from "../../host/native/build.ts";
import { buildService } from "../../host/wasm/build.ts";
import { ServiceRegistry } from "../../host/services/registry.ts";
import { captureProfile, printProfile } from "../lib/cpu_profile.ts";
import { flag } from "../lib/run_facts.ts";
import { ensureDataset } from "./dataset.ts";
import { ROUTES, smoke } from "./routes.ts";
import { renderStages, type StageRow, stageRow } from "./stages.ts";
import { runLoad, settle, threadCpuS } from "./wrk_driver.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOCS = 10_000;
const CONNECTIONS = 64;
const SEED_BATCH_DOCS = 1_000;

const data = await ensureDataset(`${ROOT}bench/.data/http-dataset`, DOCS);
const dir = await Deno.makeTempDir({ prefix: "planck_prof_http_" });
// As `planck start` (host/server/server.ts SERVER_SYNC_METHOD): the group's fdatasync on the thread pool.
const syncMethod = flag("sync") === "inline" ? "inline" : SERVER_SYNC_METHOD;
const db = await openDatabase(dir, { syncMethod });
const registry = await ServiceRegistry.open(db, { log: () => {} });
await registry.deploy((await buildService(`${ROOT}bench/http/service/`)).wasm);
await registry.deploy((await buildNativeService(`${ROOT}bench/http/service_native/`)).wasm);
const lines = (await Deno.readTextFile(data.jsonl)).split("\n").filter((l) => l.length > 0);
// Seeded as bench/http/targets.ts does: 1,000 documents per atomic group, one store after the other.
for (const store of ["httpbench__items", "httpbench_native__items"]) {
  for (let i = 0; i < lines.length; i += SEED_BATCH_DOCS) {
    await transaction(db, (tx) => {
      for (const line of lines.slice(i, i + SEED_BATCH_DOCS)) {
        const { id, ...doc } = JSON.parse(line);
        tx.store(store).insert(doc, { key: id });
      }
    });
  }
}
const server = serveApp(registry, { hostname: "127.0.0.1", port: 0 });
const base = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
const sampleId = (await Deno.readTextFile(data.ids)).split("\n")[0];
const seconds = Number(flag("seconds") ?? 5);
const routes = (flag("routes") ?? "get,list,post").split(",");
const tiers = (flag("tiers") ?? "js,native").split(",");
const rows: StageRow[] = [];
try {
  for (const route of ROUTES.filter((r) => routes.includes(r.name))) {
    for (const tier of tiers) {
      const baseUrl = tier === "native" ? `${base}/native` : base;
      await smoke(baseUrl, route, sampleId);
      const load = { baseUrl, route, idsFile: data.ids, serverPid: Deno.pid, connections: CONNECTIONS };
      await runLoad({ ...load, seconds: 1 });
      await settle(Deno.pid);
      const label = `${tier === "js" ? "QuickJS" : "native"} ${route.name}`;
      let result = { requests: 0, rps: 0, threads: [] as [string, number][], mainTid: Deno.pid };
      const measure = async () => {
        const before = threadCpuS(Deno.pid);
        const r = await runLoad({ ...load, seconds });
        const threads = [...threadCpuS(Deno.pid)].map((
          [t, s],
        ): [string, number] => [t, s - (before.get(t) ?? 0)]);
        const cpuS = threads.reduce((sum, [, s]) => sum + s, 0);
        result = { requests: r.requests, rps: r.rps, threads, mainTid: Deno.pid };
        const busy = threads.filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]).slice(0, 4);
        console.error(
          `${label}: ${r.rps.toFixed(0)} req/s, ${(cpuS / r.requests * 1e6).toFixed(1)} µs CPU/req, ` +
            `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}; threads ` +
            busy.map(([t, s]) => `${t} ${(s / r.requests * 1e6).toFixed(1)}`).join(", "),
        );
      };
      if (flag("top") !== undefined) {
        await printProfile(measure, { top: Number(flag("top")) });
        continue;
      }
      const profile = await captureProfile(measure);
      const dump = flag("dump");
      if (dump !== undefined) {
        await Deno.writeTextFile(`${dump}/${tier}_${route.name}.cpuprofile`, JSON.stringify(profile));
      }
      rows.push(stageRow(label, result, profile));
    }
  }
  if (rows.length > 0) {
    console.log(
      `### Request-path stages (${seconds} s per route and tier, ${CONNECTIONS} connections, sync ${syncMethod}, ` +
        `load average ${Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")})\n`,
    );
    console.log(renderStages(rows) + "\n");
  }
  const json = flag("json");
  if (json !== undefined) {
    const out = rows.map((r) => ({ ...r, stages: Object.fromEntries(r.stages) }));
    await Deno.writeTextFile(json, JSON.stringify(out, null, 2) + "\n");
  }
} finally {
  await server.shutdown();
  await registry.close();
  await db.close();
  await Deno.remove(dir, { recursive: true });
}
