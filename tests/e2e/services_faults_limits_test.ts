/**
 * Guest faults reported for what they are, over real HTTP against a `planck start` subprocess: a
 * handler that spins on `await` (`for (;;) { await null }`, which never leaves the job queue) is
 * cut at the deadline and answered 504 and counted as a timeout; a reply larger than
 * RESPONSE_BYTES_MAX is answered 500 naming that limit and counted as a `response` fault. The
 * server keeps answering afterwards. Counts are read from `/_planck/metrics`.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { RESPONSE_BYTES_MAX } from "../../protocol/abi.ts";
import { buildService } from "../../host/wasm/build.ts";
import { spawnServer } from "../host/test_server.ts";

/** The request deadline the server runs with (config `services.deadline_ms`). */
const DEADLINE_MS = 1_500;

const SERVICE = `import { createApp } from "planck";
const app = createApp();
app.get("/ok", (c) => c.text("fine"));
app.get("/spin-await", async () => { for (;;) { await null; } });
app.get("/huge", (c) => c.text("x".repeat(${RESPONSE_BYTES_MAX + 1})));
export default app;
`;

interface Faults {
  timeout: number;
  memory: number;
  trap: number;
  throw: number;
  response: number;
}

Deno.test("guest faults over HTTP: an await loop is a 504 timeout, an oversized reply names its limit", async () => {
  const serviceDir = await Deno.makeTempDir({ prefix: "planck_fault_limits_" });
  try {
    await Deno.writeTextFile(
      `${serviceDir}/planck.json`,
      JSON.stringify({ name: "limits", version: "1.0.0" }),
    );
    await Deno.writeTextFile(`${serviceDir}/service.ts`, SERVICE);
    const { wasm } = await buildService(serviceDir);
    await Deno.writeTextFile(`${serviceDir}/planck.yaml`, `services:\n  deadline_ms: ${DEADLINE_MS}\n`);
    const server = await spawnServer(`${serviceDir}/data`, {
      args: ["--config", `${serviceDir}/planck.yaml`],
    });
    try {
      const client = await connect(server.admin);
      await client.request("deploy", { wasm });
      client.close();
      const base = `http://127.0.0.1:${/http listening on [^\s]+:(\d+)/.exec(server.output())![1]}`;
      const get = async (path: string) => {
        const response = await fetch(`${base}${path}`);
        return {
          status: response.status,
          body: await response.text(),
          id: response.headers.get("x-request-id"),
        };
      };

      const spin = await get("/spin-await");
      assertEquals(spin.status, 504, spin.body);
      assert(spin.body.includes("deadline exceeded"), spin.body);
      assert(spin.id !== null && spin.body.includes(spin.id), spin.body);

      const huge = await get("/huge");
      assertEquals(huge.status, 500, huge.body.slice(0, 200));
      assert(huge.body.includes("RESPONSE_BYTES_MAX"), huge.body);
      assert(huge.body.includes(String(RESPONSE_BYTES_MAX)), huge.body);
      assert(huge.id !== null && huge.body.includes(huge.id), huge.body);

      assertEquals((await get("/ok")).body, "fine", "the server keeps answering");

      const [user, key] = [/uid=([^;]+)/.exec(server.admin)![1], /key=([^;]+)/.exec(server.admin)![1]];
      const metrics = await fetch(`${base}/_planck/metrics`, {
        headers: { authorization: `Basic ${btoa(`${user}:${key}`)}` },
      });
      const text = await metrics.text();
      assertEquals(metrics.status, 200, text);
      const faults = faultsOf(JSON.parse(text), "limits");
      assertEquals(faults.timeout, 1, `one timeout: ${JSON.stringify(faults)}`);
      assertEquals(faults.throw, 0, `no throw: ${JSON.stringify(faults)}`);
      assertEquals(faults.response, 1, `one oversized reply: ${JSON.stringify(faults)}`);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(serviceDir, { recursive: true });
  }
});

/** The fault counters of `service`, summed over its routes. */
function faultsOf(metrics: unknown, service: string): Faults {
  const sum: Faults = { timeout: 0, memory: 0, trap: 0, throw: 0, response: 0 };
  const walk = (value: unknown, inService: boolean): void => {
    if (value === null || typeof value !== "object") return;
    for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
      if (name === "faults" && inService && child !== null && typeof child === "object") {
        for (const [kind, count] of Object.entries(child as Record<string, number>)) {
          if (kind in sum) sum[kind as keyof Faults] += count;
        }
      } else {walk(
          child,
          inService || name === service || (child as { service?: string })?.service === service,
        );}
    }
  };
  walk(metrics, false);
  return sum;
}
