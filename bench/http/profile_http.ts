/**
 * Profiles the HTTP service path under real load, in one process: both bench services (QuickJS
 * tier at "/", native tier under "/native") deployed into a temp database seeded with the bench
 * data set, served by `serveApp` on a free port, loaded by wrk (a subprocess) while V8's sampling
 * profiler runs. Prints this process's CPU µs per request and, with `--profile`, the functions with
 * the most self time.
 *
 *   deno run -A bench/http/profile_http.ts [--routes=get,list,post] [--tiers=js,native]
 *     [--seconds=5] [--profile] [--top=30] [--sync=inline|async]
 *
 * Invariants: the server and the load generator never share a process (wrk runs apart), so the CPU
 * figure is the server's own; the temp database is removed at the end.
 */
import { openDatabase } from "../../engine/mod.ts";
import { transaction } from "../../engine/db/transaction.ts";
import { serveApp } from "../../host/http/server.ts";
import { buildNativeService } from "../../host/native/build.ts";
import { buildService } from "../../host/wasm/build.ts";
import { ServiceRegistry } from "../../host/wasm/registry.ts";
import { printProfile } from "../lib/cpu_profile.ts";
import { flag } from "../lib/run_facts.ts";
import { ensureDataset } from "./dataset.ts";
import { ROUTES, smoke } from "./routes.ts";
import { processCpuS, runLoad } from "./wrk_driver.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOCS = 10_000;
const CONNECTIONS = 64;
const SEED_BATCH_DOCS = 1_000;

const data = await ensureDataset(`${ROOT}bench/.data/http-dataset`, DOCS);
const dir = await Deno.makeTempDir({ prefix: "planck_prof_http_" });
const syncMethod = flag("sync") === "async" ? "async" : "inline";
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
try {
  for (const route of ROUTES.filter((r) => routes.includes(r.name))) {
    for (const tier of tiers) {
      const baseUrl = tier === "native" ? `${base}/native` : base;
      await smoke(baseUrl, route, sampleId);
      const load = { baseUrl, route, idsFile: data.ids, serverPid: Deno.pid, connections: CONNECTIONS };
      await runLoad({ ...load, seconds: 2 });
      const measure = async () => {
        const cpu = processCpuS(Deno.pid)!;
        const r = await runLoad({ ...load, seconds });
        const us = (processCpuS(Deno.pid)! - cpu) / r.requests * 1e6;
        console.log(
          `${tier} ${route.name}: ${r.rps.toFixed(0)} req/s, ${us.toFixed(1)} µs CPU/req, ` +
            `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}`,
        );
      };
      if (Deno.args.includes("--profile")) {
        await printProfile(measure, { top: Number(flag("top") ?? 30) });
      } else await measure();
    }
  }
} finally {
  await server.shutdown();
  await registry.close();
  await db.close();
  await Deno.remove(dir, { recursive: true });
}
