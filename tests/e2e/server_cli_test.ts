/**
 * The `planck` CLI against a real server subprocess: the README flow (start, then pql with the
 * saved credentials), piped statements, status, users, stop, offline --data access, and the exit
 * codes scripts rely on.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { runPlanck, spawnServer } from "../host/test_server.ts";

Deno.test("planck start, then pql with the saved credentials, status, users and stop", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_cli_" });
  const server = await spawnServer(dataDir);
  try {
    const admin = (await Deno.readTextFile(`${dataDir}/admin.credentials`)).trim();
    const insert = await runPlanck(["pql", "--connect", admin, 'orders.insert({"a":1})']);
    assertEquals(insert.code, 0, insert.stderr);
    assert(/^\{"inserted":\["[0-9a-f]{32}"\]\}$/.test(insert.stdout.trim()), insert.stdout);

    const piped = await runPlanck(["pql", "--connect", admin], {
      stdin: 'orders.insert({"a":2})\n\nnot pql at all\norders.limit(10)\n',
    });
    assertEquals(piped.code, 1, "a failed statement makes the exit code 1");
    const lines = piped.stdout.trim().split("\n");
    assert(lines[0].startsWith('{"inserted"'), piped.stdout);
    assertEquals(lines.slice(1).map((line) => JSON.parse(line).a).sort(), [1, 2]);
    assert(piped.stderr.includes("invalid_argument"), piped.stderr);

    const status = await runPlanck(["status", "--connect", admin]);
    assertEquals(status.code, 0, status.stderr);
    assert(JSON.parse(status.stdout).database.lastLsn > 0);
    const database = JSON.parse(status.stdout).database;
    assert(
      database.changesRetention.bytes > 0 && database.changesOldestLsn >= 1,
      "status shows the change-stream retention",
    );

    const added = await runPlanck(["users", "add", "reader", "--role", "read_only", "--connect", admin]);
    assertEquals(added.code, 0, added.stderr);
    const reader = added.stdout.trim();
    assert(reader.includes("uid=reader;key="), reader);
    const listed = await runPlanck(["users", "list", "--connect", admin]);
    assertEquals(listed.stdout.trim().split("\n").map((line) => JSON.parse(line).name), ["admin", "reader"]);
    const denied = await runPlanck(["pql", "--connect", reader, 'orders.insert({"a":3})']);
    assertEquals(denied.code, 4, denied.stderr);
    const read = await runPlanck(["pql", "--connect", reader, "orders.limit(1)"]);
    assertEquals(read.code, 0, read.stderr);

    const wrongKey = await runPlanck(["status", "--connect", admin.replace(/key=[^;]+/, "key=nope")]);
    assertEquals(wrongKey.code, 4);

    const stop = await runPlanck(["stop", "--data", dataDir]);
    assertEquals(stop.code, 0, stop.stderr);
    assertEquals((await server.stop()).code, 0);

    const offline = await runPlanck(["pql", "--data", dataDir, "orders.limit(10)"]);
    assertEquals(offline.code, 0, offline.stderr);
    assertEquals(offline.stdout.trim().split("\n").length, 2);
    const gone = await runPlanck(["status", "--connect", admin, "--timeout", "500"]);
    assertEquals(gone.code, 3, gone.stderr);
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("planck exit codes: usage errors are 2, --help is 0, bad config names the key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_cli_usage_" });
  try {
    assertEquals((await runPlanck(["frobnicate"])).code, 2);
    assertEquals((await runPlanck([])).code, 2);
    assertEquals((await runPlanck(["--help"])).code, 0);
    for (const command of ["start", "pql", "status", "stop", "users"]) {
      const help = await runPlanck([command, "--help"]);
      assertEquals(help.code, 0, command);
      assert(help.stdout.includes(`planck ${command}`), help.stdout);
    }
    assertEquals((await runPlanck(["pql", "--nope"])).code, 2);
    assertEquals((await runPlanck(["users", "explode", "--data", dir])).code, 2);
    await Deno.writeTextFile(`${dir}/planck.yaml`, "limits:\n  frame_byts: 10\n");
    const badKey = await runPlanck(["start", "--config", `${dir}/planck.yaml`, "--data", dir]);
    assertEquals(badKey.code, 2);
    assert(badKey.stderr.includes('"limits.frame_byts"') && badKey.stderr.includes("line 2"), badKey.stderr);
    const badPort = await runPlanck(["start", "--wire-port", "http", "--data", dir]);
    assertEquals(badPort.code, 2);
    assert(badPort.stderr.includes('"ports.wire"') && badPort.stderr.includes("--wire-port"), badPort.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
