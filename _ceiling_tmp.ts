import { connect } from "/work/main/mod.ts";
import { defaultConfig } from "/work/main/host/config.ts";
import { startServer } from "/work/main/host/server.ts";
const dir = await Deno.makeTempDir();
const config = defaultConfig();
config.dataDir = dir; config.ports = { wire: 0, http: 0, workbench: 0 };
config.durability = Deno.args[0] ?? "sync";
const server = await startServer(config, { log: () => {}, signals: false });
const clients = await Promise.all(Array.from({ length: 32 }, () => connect(server.adminConnection!)));
const doc = { user: "u1", status: "open", amount: 1.5, created: new Date().toISOString(), tags: ["a"], note: "x".repeat(150) };
for (const op of ["insert", "get"]) {
  const keys: string[] = [];
  const t0 = performance.now(); let n = 0;
  await Promise.all(clients.map(async (c) => { while (performance.now() - t0 < 3000) { if (op === "insert") keys.push(await c.insert("docs", doc)); else await c.get("docs", "0".repeat(32)); n++; } }));
  console.log(op, config.durability, (n / ((performance.now() - t0) / 1000)).toFixed(0), "ops/s");
}
for (const c of clients) c.close();
await server.stop(); await Deno.remove(dir, { recursive: true });
