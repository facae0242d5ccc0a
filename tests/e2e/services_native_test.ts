/**
 * The native tier end to end, as the README walks it: examples/orders (TypeScript, QuickJS tier)
 * and examples/orders-native (AssemblyScript, native tier) built with `planck build`, deployed with
 * `planck deploy` to one running `planck start`, and driven side by side with real HTTP; a native
 * service whose route loops forever is stopped at its deadline (504, fuel injected by the host)
 * while the other services keep answering; both come back after a restart; their route metrics
 * show up in `planck status`.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { runPlanck, spawnServer } from "../host/test_server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The request deadline the server runs with (config `services.deadline_ms`). */
const DEADLINE_MS = 1_000;

const SPIN_SERVICE = `import { Request, Response, route } from "planck";
export { planck_alloc, planck_describe, planck_handle } from "planck";
route("GET", "/spin", spin);
route("GET", "/ok", ok);
function spin(_req: Request): Response {
  let n: i64 = 0;
  while (true) n++;
  return Response.text(n.toString());
}
function ok(_req: Request): Response {
  return Response.text("still here");
}
`;

function httpPort(output: string): number {
  return Number(/http listening on [^\s]+:(\d+)/.exec(output)![1]);
}

async function json(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

Deno.test("native and TypeScript services side by side: build, deploy, HTTP, runaway loop, restart, status", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_native_e2e_" });
  const data = `${root}/data`;
  try {
    await Deno.mkdir(`${root}/spin/assembly`, { recursive: true });
    await Deno.writeTextFile(`${root}/spin/assembly/index.ts`, SPIN_SERVICE);
    await Deno.writeTextFile(
      `${root}/spin/planck.json`,
      JSON.stringify({ name: "spin", version: "1.0.0", tier: "native", prefix: "/spin" }),
    );
    await Deno.writeTextFile(`${root}/planck.yaml`, `services:\n  deadline_ms: ${DEADLINE_MS}\n`);
    for (
      const [dir, out] of [[`${ROOT}examples/orders`, "orders"], [`${ROOT}examples/orders-native`, "native"]]
    ) {
      const built = await runPlanck(["build", dir, "-o", `${root}/${out}.wasm`]);
      assertEquals(built.code, 0, built.stderr);
    }
    assertEquals((await runPlanck(["build", `${root}/spin`, "-o", `${root}/spin.wasm`])).code, 0);

    let server = await spawnServer(data, { args: ["--config", `${root}/planck.yaml`] });
    try {
      for (const file of ["orders", "native", "spin"]) {
        const deployed = await runPlanck(["deploy", `${root}/${file}.wasm`, "--connect", server.admin]);
        assertEquals(deployed.code, 0, deployed.stderr);
      }
      const base = `http://127.0.0.1:${httpPort(server.output())}`;
      const ts = await json(`${base}/api/orders`, {
        method: "POST",
        body: JSON.stringify({ title: "Tea", amount: 3 }),
      });
      assertEquals(ts.status, 201);
      const native = await json(`${base}/native/api/orders`, {
        method: "POST",
        body: JSON.stringify({ title: "Milk <b>", amount: 2.5 }),
      });
      assertEquals(native.status, 201);
      const key = String(native.body.key);
      assertEquals((await json(`${base}/native/api/orders/${key}`)).body.title, "Milk <b>");
      const card = await (await fetch(`${base}/native/orders/${key}/card`)).text();
      assert(card.includes("Milk &lt;b&gt;"), card);
      // Each service sees only its own store.
      const nativeList = await (await fetch(`${base}/native/api/orders?status=open`)).json() as unknown[];
      const tsList = await (await fetch(`${base}/api/orders?status=open`)).json() as unknown[];
      assertEquals([nativeList.length, tsList.length], [1, 1]);

      // A runaway native loop is stopped at its deadline; the others keep answering meanwhile (the
      // loop yields the event loop at its fuel refills: host/guest/guest_slice.ts).
      const started = performance.now();
      let spunAt = 0;
      const spinning = fetch(`${base}/spin/spin`).then((r) => (spunAt = performance.now(), r));
      await new Promise((resolve) => setTimeout(resolve, 50));
      let otherAt = 0;
      const pinging = fetch(`${base}/native/ping`).then((r) => (otherAt = performance.now(), r));
      const [spun, other] = await Promise.all([spinning, pinging]);
      const elapsedMs = performance.now() - started;
      assert(otherAt < spunAt, `/native/ping (${otherAt - started} ms) is answered while /spin/spin runs`);
      assertEquals(spun.status, 504);
      const requestId = spun.headers.get("x-request-id")!;
      assert((await spun.text()).includes(requestId), "the 504 names its request id");
      assert(elapsedMs < DEADLINE_MS + 5_000, `answered in ${elapsedMs} ms`);
      assertEquals([other.status, await other.text()], [200, "pong"]);
      assertEquals(await (await fetch(`${base}/spin/ok`)).text(), "still here");

      const status = await runPlanck(["status", "--connect", server.admin]);
      const stats = JSON.parse(status.stdout.trim().split("\n").at(-1)!);
      const routes = stats.server.services.routes as {
        service: string;
        route: string;
        faults: { timeout: number };
      }[];
      assertEquals(
        routes.find((r) => r.service === "spin" && r.route === "GET /spin/spin")?.faults.timeout,
        1,
      );
      assert(routes.some((r) => r.service === "orders_native" && r.route === "POST /native/api/orders"));
    } finally {
      await server.stop();
    }
    server = await spawnServer(data, { args: ["--config", `${root}/planck.yaml`] });
    try {
      const base = `http://127.0.0.1:${httpPort(server.output())}`;
      const back = await (await fetch(`${base}/native/api/orders?status=open`)).json() as unknown[];
      assertEquals(back.length, 1, "the native service and its data come back after a restart");
      assertEquals((await fetch(`${base}/api/orders?status=open`)).status, 200);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
