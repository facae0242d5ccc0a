/**
 * Profiles the service request path in-process (no sockets): builds bench/http/service (QuickJS
 * tier) and bench/http/service_native (native tier), deploys both into a temp database, seeds each
 * one's store with the same items, then times `registry.dispatch` for the get and list routes.
 *
 *   deno run -A bench/profile_service.ts [--n=20000] [--profile=httpbench_native:get]
 */
import { openDatabase } from "../engine/mod.ts";
import { transaction } from "../engine/tx/transaction.ts";
import { buildNativeService } from "../host/native/build.ts";
import { buildService } from "../host/wasm/build.ts";
import { ServiceRegistry } from "../host/services/registry.ts";
import { printProfile } from "./lib/cpu_profile.ts";

const n = Number(Deno.args.find((a) => a.startsWith("--n="))?.slice(4) ?? 20_000);
const ITEMS = 2_000;
const dir = await Deno.makeTempDir({ prefix: "planck_prof_" });
const db = await openDatabase(dir);
const registry = await ServiceRegistry.open(db, { log: () => {} });
await registry.deploy((await buildService(new URL("./http/service/", import.meta.url).pathname)).wasm);
await registry.deploy(
  (await buildNativeService(new URL("./http/service_native/", import.meta.url).pathname)).wasm,
);

const keys: string[] = [];
await transaction(db, (tx) => {
  for (let i = 0; i < ITEMS; i++) {
    const status = ["open", "paid"][i % 2];
    const item = { user: `u${i} <x>`, status, amount: i + 0.5, created: i, tags: ["a", "b"], note: "n" };
    const key = tx.store("httpbench__items").insert(item);
    tx.store("httpbench_native__items").put(key, item);
    keys.push(key);
  }
});
const req = (path: string, query = "") => ({ id: "p", method: "GET", path, query, headers: [], body: null });
for (const [service, prefix] of [["httpbench", ""], ["httpbench_native", "/native"]]) {
  for (
    const [name, make] of [
      ["get", (i: number) => req(`${prefix}/item/${keys[i % keys.length]}`)],
      ["list", () => req(`${prefix}/list`, "status=open")],
    ] as const
  ) {
    const first = await registry.dispatch(service, make(0));
    if (first.status !== 200) throw new Error(`${service} ${name}: ${first.status} ${first.body}`);
    for (let i = 0; i < 500; i++) await registry.dispatch(service, make(i));
    const started = performance.now();
    for (let i = 0; i < n; i++) await registry.dispatch(service, make(i));
    const us = (performance.now() - started) * 1000 / n;
    console.log(`${service} ${name}: ${us.toFixed(1)} µs/request`);
    if (Deno.args.includes(`--profile=${service}:${name}`)) {
      await printProfile(async () => {
        for (let i = 0; i < n; i++) await registry.dispatch(service, make(i));
      });
    }
  }
}
await registry.close();
await db.close();
await Deno.remove(dir, { recursive: true });
