/**
 * Service subscriptions end to end against `planck start` subprocesses: `app.on("jobs", …)` runs
 * once per write, each in its own transaction, with the event's LSN; a throwing handler is retried
 * (counted in /_planck/metrics) and later events wait for it; after SIGKILL and a restart the
 * subscription resumes from its saved progress — every write is handled at least once and none is
 * skipped (the handled LSNs are compared with the writes).
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect, parseConnectionString } from "../../client/mod.ts";
import { buildService } from "../../host/wasm/build.ts";
import { type ServerProcess, spawnServer } from "../host/test_server.ts";

const SERVICE_DIR = new URL("../fixtures/subscriber_service/", import.meta.url).pathname;
const WAIT_MS = 120_000;

function httpBase(server: ServerProcess): string {
  return `http://127.0.0.1:${/http listening on [^\s]+:(\d+)/.exec(server.output())![1]}`;
}

async function call(url: string, method = "POST"): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method });
  assert(response.ok, `${method} ${url}: ${response.status}`);
  return await response.json();
}

async function metrics(server: ServerProcess): Promise<Record<string, unknown>[]> {
  const { user, key } = parseConnectionString(server.admin);
  const response = await fetch(`${httpBase(server)}/_planck/metrics`, {
    headers: { authorization: `Bearer ${user}:${key}` },
  });
  assertEquals(response.status, 200);
  return (await response.json()).subscriptions;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The LSNs the handler recorded (with repeats). */
async function handled(base: string): Promise<number[]> {
  const audit = await (await fetch(`${base}/audit`)).json() as { lsn: number }[];
  return audit.map((a) => a.lsn).sort((a, b) => a - b);
}

Deno.test({
  name: "app.on: per-event transactions, retries with backoff, metrics, resume after SIGKILL",
  sanitizeResources: false,
  async fn() {
    const built = await buildService(SERVICE_DIR);
    assertEquals(built.manifest.subscriptions, [{ name: "audit_jobs", store: "jobs" }]);
    const dataDir = await Deno.makeTempDir({ prefix: "planck_subscriptions_" });
    let server = await spawnServer(dataDir);
    try {
      const client = await connect(server.admin);
      await client.request("deploy", { wasm: built.wasm });
      client.close();
      let base = httpBase(server);
      const writes: string[] = [];
      for (let n = 0; n < 3; n++) writes.push((await call(`${base}/jobs?n=${n}`)).key as string);
      await waitFor("3 handled", async () => (await handled(base)).length >= 3);

      // A failing handler is retried; the next event waits behind it.
      const flag = (await call(`${base}/block`)).key as string;
      writes.push((await call(`${base}/jobs?n=3`)).key as string);
      writes.push((await call(`${base}/jobs?n=4`)).key as string);
      await waitFor("a retried failure", async () => Number((await metrics(server))[0].failures) >= 2);
      const blocked = (await metrics(server))[0];
      assertEquals(blocked.retrying, true);
      assert(String(blocked.lastError).includes("500"), String(blocked.lastError));
      assertEquals((await handled(base)).length, 3, "nothing past the failing event ran");
      await call(`${base}/unblock/${flag}`);
      await waitFor("5 handled", async () => (await handled(base)).length >= 5);

      // SIGKILL, writes land in the WAL, restart: the subscription resumes from its progress.
      writes.push((await call(`${base}/jobs?n=5`)).key as string);
      await server.stop("SIGKILL");
      server = await spawnServer(dataDir);
      base = httpBase(server);
      for (let n = 6; n < 8; n++) writes.push((await call(`${base}/jobs?n=${n}`)).key as string);
      await waitFor("8 handled", async () => new Set(await handled(base)).size >= 8);
      const audit = await (await fetch(`${base}/audit`)).json() as { job: string; lsn: number; op: string }[];
      assertEquals([...new Set(audit.map((a) => a.job))].sort(), [...writes].sort(), "every write handled");
      assert(audit.every((a) => a.op === "insert"));
      const stats = (await metrics(server))[0];
      assertEquals(stats.name, "audit_jobs");
      assert(Number(stats.lastLsn) > 0 && Number(stats.lagLsn) >= 0, JSON.stringify(stats));
      console.log(
        `subscription after restart: ${
          JSON.stringify(stats)
        }; ${audit.length} handler runs for ${writes.length} writes`,
      );
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
