// deno-lint-ignore-file no-explicit-any
/**
 * Per-service schedules over real sockets: a service's planck.json declares schedules; deploying it
 * registers them (named `<service>.<name>`, scope `service:<service>`, scoped to its own store and to
 * `<data>-exports/<service>/`), a run exports only that store, a redeploy updates the definition
 * (keeping the operator's disable and the history), declarations outside the service's reach (an
 * instance task, a system store, a path with "/") are not scheduled, and undeploy removes them.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { defaultConfig } from "../../host/config.ts";
import { startServer } from "../../host/server/server.ts";
import { buildService } from "../../host/wasm/build.ts";

const SHOP = `import { createApp, store } from "planck";
const app = createApp();
app.post("/orders", async (c) => c.json(await store("orders").insert({ total: c.req.json().total }), 201));
app.post("/notes", async (c) => c.json(await store("notes").insert({ text: "x" }), 201));
export default app;
`;

async function build(root: string, version: string, schedules: unknown[]): Promise<Uint8Array> {
  const dir = `${root}/shop-${version}`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/service.ts`, SHOP);
  await Deno.writeTextFile(`${dir}/planck.json`, JSON.stringify({ name: "shop", version, schedules }));
  return (await buildService(dir)).wasm;
}

const EXPORT = {
  name: "orders-export",
  task: "export",
  cron: "0 2 * * *",
  options: { store: "orders", path: "orders.jsonl" },
};
const OUT_OF_REACH = [
  { name: "grab", task: "backup", cron: "0 2 * * *", options: { store: "orders", path: "x.tar" } },
  { name: "peek", task: "export", cron: "0 2 * * *", options: { store: "sysusers", path: "users.jsonl" } },
  { name: "escape", task: "export", cron: "0 2 * * *", options: { store: "orders", path: "../../etc/x" } },
];

Deno.test("service schedules: registered at deploy, scoped, updated on redeploy, removed at undeploy", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_svc_sched_" });
  const config = defaultConfig();
  config.dataDir = `${root}/data`;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  const logs: string[] = [];
  const server = await startServer(config, { log: (line) => logs.push(line), signals: false });
  try {
    const admin = (server.adminConnection ?? await Deno.readTextFile(`${config.dataDir}/admin.credentials`))
      .trim();
    const client = await connect(admin);
    const schedule = (fields: Record<string, unknown>) => client.request("schedule", fields) as Promise<any>;
    const serviceSchedules = async () =>
      ((await schedule({ action: "list" })).schedules as any[]).filter((s) => s.scope !== "instance");
    // The sync follows the deploy's switch in the background: wait (bounded) until the list shows `done`.
    const settled = async (done: (list: any[]) => boolean) => {
      for (let i = 0; i < 200 && !done(await serviceSchedules()); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      return await serviceSchedules();
    };
    try {
      await client.request("deploy", { wasm: await build(root, "1.0.0", [EXPORT, ...OUT_OF_REACH]) });
      const base = `http://127.0.0.1:${server.ports.http}`;
      for (const total of [1, 2]) {
        const response = await fetch(`${base}/orders`, { method: "POST", body: JSON.stringify({ total }) });
        assertEquals(response.status, 201);
        await response.body?.cancel();
      }
      await (await fetch(`${base}/notes`, { method: "POST", body: "{}" })).body?.cancel();

      const [registered, ...others] = await settled((list) => list.length > 0);
      assertEquals(others.length, 0, `only the scoped declaration is scheduled: ${JSON.stringify(others)}`);
      assertEquals(
        [registered.name, registered.scope, registered.task, registered.cron, registered.enabled],
        [
          "shop.orders-export",
          "service:shop",
          "export",
          "0 2 * * *",
          true,
        ],
      );
      assertEquals(registered.options.store, "shop__orders");
      assertEquals(registered.options.path, `${config.dataDir}-exports/shop/orders.jsonl`);
      for (const name of ["grab", "peek", "escape"]) {
        assert(
          logs.some((line) => line.includes(`"${name}"`) && line.includes("not scheduled")),
          `${name} logged`,
        );
      }

      const run = await schedule({ action: "run", name: "shop.orders-export" });
      assertEquals(run.result, "ok", JSON.stringify(run));
      const lines = (await Deno.readTextFile(registered.options.path)).trim().split("\n");
      assertEquals(lines.length, 2, "the two orders, no note");

      await schedule({ action: "disable", name: "shop.orders-export" });
      await client.request("deploy", {
        wasm: await build(root, "1.1.0", [{ ...EXPORT, cron: "30 2 * * *" }]),
      });
      const [updated] = await settled((list) => list[0]?.cron === "30 2 * * *");
      assertEquals([updated.name, updated.cron, updated.enabled], [
        "shop.orders-export",
        "30 2 * * *",
        false,
      ]);
      assertEquals((await schedule({ action: "history", name: "shop.orders-export" })).runs.length, 1);

      await client.request("deploy", { wasm: await build(root, "1.2.0", []) });
      assertEquals(
        await settled((list) => list.length === 0),
        [],
        "a redeploy without the declaration removes it",
      );
      await client.request("deploy", { wasm: await build(root, "1.3.0", [EXPORT]) });
      assertEquals((await settled((list) => list.length === 1)).length, 1);
      await client.request("undeploy", { name: "shop" });
      assertEquals(
        await settled((list) => list.length === 0),
        [],
        "undeploy removes the service's schedules",
      );
      assertEquals(
        (await schedule({ action: "history", name: "shop.orders-export" })).runs.length,
        1,
        "history stays",
      );
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
    await Deno.remove(root, { recursive: true });
    await Deno.remove(`${config.dataDir}-exports`, { recursive: true }).catch(() => {});
  }
});
