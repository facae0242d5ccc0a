/**
 * Profiles the service request path in-process (no sockets): builds bench/http/service, deploys it
 * into a temp database, seeds N items, then times `registry.dispatch` for the get and list routes.
 *
 *   deno run -A bench/profile_service.ts [--n=20000]   (add --cpu-prof to Deno for a profile)
 */
import { openDatabase } from "../engine/mod.ts";
import { buildService } from "../host/wasm/build.ts";
import { ServiceRegistry } from "../host/wasm/registry.ts";
import { transaction } from "../engine/transaction.ts";

const n = Number(Deno.args.find((a) => a.startsWith("--n="))?.slice(4) ?? 20_000);
const dir = await Deno.makeTempDir({ prefix: "planck_prof_" });
const db = await openDatabase(dir);
const registry = await ServiceRegistry.open(db, { log: () => {} });
const built = await buildService(new URL("./http/service/", import.meta.url).pathname);
await registry.deploy(built.wasm);
const keys: string[] = [];
await transaction(db, (tx) => {
  for (let i = 0; i < 2_000; i++) {
    const doc = {
      user: `u${i}`,
      status: ["open", "paid"][i % 2],
      amount: i,
      created: i,
      tags: ["a", "b"],
      note: "n",
    };
    keys.push(tx.store("httpbench__items").insert(doc));
  }
});
const req = (path: string, query = "") => ({ id: "p", method: "GET", path, query, headers: [], body: null });
for (
  const [name, make] of [
    ["get", (i: number) => req(`/item/${keys[i % keys.length]}`)],
    ["list", () => req("/list", "status=open")],
  ] as const
) {
  for (let i = 0; i < 500; i++) await registry.dispatch("httpbench", make(i));
  const started = performance.now();
  for (let i = 0; i < n; i++) await registry.dispatch("httpbench", make(i));
  const us = (performance.now() - started) * 1000 / n;
  console.log(`${name}: ${us.toFixed(1)} µs/request`);
}
await registry.close();
await db.close();
await Deno.remove(dir, { recursive: true });
