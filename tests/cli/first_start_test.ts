/**
 * A first `planck start` that fails after creating the admin (here: the HTTP port is taken) still
 * saves and prints the admin key, so the next start has an admin someone can log in as.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { runPlanck, spawnServer } from "../host/test_server.ts";

Deno.test("a failed first start saves the admin key; the next start accepts it", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_first_start_" });
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const failed = await runPlanck([
      "start",
      "--data",
      dataDir,
      "--http-port",
      String(port),
      "--wire-port",
      "0",
      "--workbench-port",
      "0",
    ]);
    assert(failed.code !== 0, "the start fails on a taken port");
    const saved = (await Deno.readTextFile(`${dataDir}/admin.credentials`)).trim();
    assert(saved.includes("uid=admin;key="), saved);
    assert((failed.stdout + failed.stderr).includes(saved.split("key=")[1]), "the key is printed");
    busy.close();
    const server = await spawnServer(dataDir);
    try {
      const status = await runPlanck(["status", "--data", dataDir]);
      assertEquals(status.code, 0, status.stderr);
    } finally {
      await server.stop();
    }
  } finally {
    try {
      busy.close();
    } catch {
      // closed above
    }
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("planck deploy of a missing file says to build it first (exit 2, no stack trace)", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_deploy_missing_" });
  const server = await spawnServer(dataDir);
  try {
    const result = await runPlanck(["deploy", "nope/missing.wasm", "--data", dataDir]);
    assertEquals(result.code, 2, result.stderr);
    assert(result.stderr.includes('no file "nope/missing.wasm"'), result.stderr);
    assert(result.stderr.includes("planck build"), result.stderr);
    assert(!result.stderr.includes("    at "), "no stack trace");
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
