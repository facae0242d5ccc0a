/**
 * Sandbox faults over real HTTP: a service whose routes loop forever, allocate without end, overflow
 * the stack and throw is deployed to a real server. Each fault gets its 5xx (504 for the loop, 500
 * for the others) naming the request id in the body and in `x-request-id`, a request to a healthy
 * route sent meanwhile still gets its document, a write made before a throw is rolled back, and the
 * server keeps answering afterwards.
 *
 * The server is a `planck start` subprocess, so the test's own event loop (the HTTP client) is never
 * blocked by a spinning guest. The deadline is set to DEADLINE_MS with the config key
 * `services.deadline_ms`, so the loop costs one such deadline. Guests run on the server's event-loop
 * thread but yield it every GUEST_SLICE_MS (host/guest/guest_slice.ts), so the healthy request sent
 * during the loop is answered while the loop still runs: before its 504 (asserted; the wait is
 * printed).
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { buildService } from "../../host/wasm/build.ts";
import { spawnServer } from "../host/test_server.ts";

/** The request deadline the server runs with (config `services.deadline_ms`). */
const DEADLINE_MS = 3_000;

const SERVICE = `import { createApp, store } from "planck";
const app = createApp();
app.post("/seed", async (c) => {
  await store("docs").insert({ text: "hello" });
  await store("writes").insert({ by: "seed" });
  return c.text("seeded", 201);
});
app.get("/ok", async (c) => c.text((await store("docs").first()).text));
app.get("/writes", async (c) => c.text(String(await store("writes").count())));
app.get("/spin", () => { for (;;) {} });
app.get("/grow", () => { const a = []; for (;;) a.push(new Array(1_000_000).fill(a.length)); });
app.get("/trap", () => { const f = (n) => f(n + 1) + 1; return f(0); });
app.get("/throw", () => { throw new Error("boom"); });
app.post("/write-then-throw", async () => {
  await store("writes").insert({ by: "write-then-throw" });
  throw new Error("after the write");
});
export default app;
`;

/**
 * The smallest linear memory the config allows, so /grow reaches the cap in a few allocations and
 * answers its 500 long before the deadline even on a loaded machine (with 64 MiB it once took longer
 * than DEADLINE_MS and got the deadline's 504 instead).
 */
const MEMORY_BYTES = 16 * 1024 * 1024;

/** Generous room over the deadline for a shared, loaded test machine (not a performance bound). */
const SLACK_MS = 10_000;
/** How long the fault request gets to reach its guest before the healthy request is sent. */
const HEAD_START_MS = 50;

interface Timed {
  status: number;
  body: string;
  requestId: string | null;
  elapsedMs: number;
  /** performance.now() when the body was read. */
  endedAt: number;
}

async function timed(url: string, init?: RequestInit): Promise<Timed> {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  return {
    status: response.status,
    body,
    requestId: response.headers.get("x-request-id"),
    elapsedMs: performance.now() - started,
    endedAt: performance.now(),
  };
}

async function text(url: string, init?: RequestInit): Promise<string> {
  const response = await fetch(url, init);
  const body = await response.text();
  assertEquals(response.status < 300, true, `${url}: ${response.status} ${body}`);
  return body;
}

Deno.test("service faults over HTTP: 504/500 with the request id, rollback, healthy routes keep answering", async () => {
  const serviceDir = await Deno.makeTempDir({ prefix: "planck_faults_" });
  try {
    await Deno.writeTextFile(
      `${serviceDir}/planck.json`,
      JSON.stringify({ name: "faulty", version: "1.0.0" }),
    );
    await Deno.writeTextFile(`${serviceDir}/service.ts`, SERVICE);
    const { wasm } = await buildService(serviceDir);
    await Deno.writeTextFile(
      `${serviceDir}/planck.yaml`,
      `services:\n  deadline_ms: ${DEADLINE_MS}\n  memory_bytes: ${MEMORY_BYTES}\n`,
    );
    const server = await spawnServer(`${serviceDir}/data`, {
      args: ["--config", `${serviceDir}/planck.yaml`],
    });
    try {
      const client = await connect(server.admin);
      await client.request("deploy", { wasm });
      client.close();
      const base = `http://127.0.0.1:${/http listening on [^\s]+:(\d+)/.exec(server.output())![1]}`;
      await text(`${base}/seed`, { method: "POST" });
      assertEquals(await text(`${base}/ok`), "hello");

      const cases = [["/spin", 504], ["/grow", 500], ["/trap", 500], ["/throw", 500]] as const;
      for (const [path, status] of cases) {
        const fault = timed(`${base}${path}`);
        await new Promise((resolve) => setTimeout(resolve, HEAD_START_MS));
        const [bad, ok] = await Promise.all([fault, timed(`${base}/ok`)]);
        assertEquals(bad.status, status, `${path}: ${bad.body}`);
        assert(bad.requestId !== null && bad.requestId !== "", `${path} has x-request-id`);
        assert(bad.body.includes(bad.requestId), `${path} body names ${bad.requestId}: ${bad.body}`);
        assert(bad.elapsedMs < DEADLINE_MS + SLACK_MS, `${path} answered in ${bad.elapsedMs} ms`);
        assertEquals([ok.status, ok.body], [200, "hello"], `/ok beside ${path}`);
        if (path === "/spin") {
          assert(ok.endedAt < bad.endedAt, `/ok (${ok.elapsedMs} ms) is answered while /spin still runs`);
        }
        console.log(
          `${path}: ${bad.status} in ${bad.elapsedMs.toFixed(0)} ms; /ok beside it waited ${
            ok.elapsedMs.toFixed(0)
          } ms`,
        );
      }

      const thrown = await timed(`${base}/write-then-throw`, { method: "POST" });
      assertEquals(thrown.status, 500, thrown.body);
      assert(thrown.requestId !== null && thrown.body.includes(thrown.requestId), thrown.body);
      assertEquals(await text(`${base}/writes`), "1", "the write before the throw is rolled back");

      const after = await Promise.all(Array.from({ length: 5 }, () => timed(`${base}/ok`)));
      assertEquals(after.map((r) => [r.status, r.body]), Array(5).fill([200, "hello"]));
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(serviceDir, { recursive: true });
  }
});
