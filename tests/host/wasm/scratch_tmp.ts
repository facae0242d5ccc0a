import { openDatabase } from "/work/main/engine/mod.ts";
import { InstancePool } from "/work/main/host/wasm/pool.ts";
import { invokeService } from "/work/main/host/wasm/invoke.ts";
const bundle = `
globalThis.__planck_handle = async (json) => {
  const req = JSON.parse(json);
  if (req.path === "/spin") for(;;){}
  if (req.path === "/grow") { const a=[]; for(;;) a.push("x".repeat(1000)+a.length); }
  if (req.path === "/trap") { const f=(n)=>f(n+1)+1; f(0); }
  if (req.path === "/throw") throw new Error("boom");
  const r = JSON.parse(__planck_host(JSON.stringify({op:"query", query:{op:"insert", store:"orders", documents:[{a:1}]}})));
  const c = JSON.parse(__planck_host(JSON.stringify({op:"query", query:{op:"count", store:"orders"}})));
  await null;
  return JSON.stringify({status:200, headers:[], body: JSON.stringify([r, c])});
};`;
const dir = await Deno.makeTempDir();
const db = await openDatabase(dir);
const pool = new InstancePool(bundle, { memoryBytes: 64 << 20 });
let t = performance.now(); await pool.warm(); console.log("warm", performance.now() - t);
const target = { db, service: "demo", pool, deadlineMs: 500, log: console.log };
for (const p of ["/ok", "/ok", "/spin", "/grow", "/trap", "/throw", "/ok"]) {
  t = performance.now();
  const r = await invokeService(target, { id: "r1", method: "GET", path: p, query: "", headers: [], body: null });
  console.log(p, r.status, r.body, (performance.now() - t).toFixed(1));
}
t = performance.now();
for (let i = 0; i < 200; i++) await invokeService(target, { id: "r1", method: "GET", path: "/ok", query: "", headers: [], body: null });
console.log("200 ok", performance.now() - t, pool.stats());
await pool.close(); await db.close(); await Deno.remove(dir, { recursive: true });
