/**
 * Online backup over the wire: `planck backup --connect` (and `--data DIR` of a running server)
 * while a client keeps writing; the backup (directory and tar) verifies and restores to its
 * manifest's counts; the backup ops are admin-only and read only the files they listed.
 */
import { connect } from "../../../client/mod.ts";
import { assert, assertEquals } from "../../_util/assert.ts";
import { runPlanck, spawnServer } from "../test_server.ts";

Deno.test("wire: planck backup --connect while a client writes; verify and restore", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_backup_wire_" });
  const server = await spawnServer(`${root}/data`);
  const client = await connect(server.admin);
  try {
    for (let i = 0; i < 200; i++) await client.insert("orders", { i, pad: "p".repeat(200) });
    let writing = true;
    let written = 200;
    const writer = (async () => {
      while (writing) await client.insert("orders", { i: written++ });
    })();
    const dir = await runPlanck(["backup", "--connect", server.admin, "--to", `${root}/bk`, "--quiet"]);
    assertEquals(dir.code, 0, dir.stderr);
    const tar = await runPlanck(["backup", "--data", `${root}/data`, "--to", `${root}/bk.tar`]);
    assertEquals(tar.code, 0, tar.stderr);
    assert(tar.stderr.includes("backup: "), `progress on stderr: ${tar.stderr}`);
    writing = false;
    await writer;
    for (const [backup, out] of [[`${root}/bk`, dir.stdout], [`${root}/bk.tar`, tar.stdout]]) {
      const summary = JSON.parse(out);
      assertEquals(summary.online, true);
      const orders = summary.stores.find((s: { name: string }) => s.name === "orders").documents;
      assert(orders >= 200 && orders <= written, `orders ${orders}`);
      const verified = await runPlanck(["verify", backup, "--quiet"]);
      assertEquals(verified.code, 0, verified.stderr);
      assertEquals(JSON.parse(verified.stdout).lsn, summary.lsn);
      const target = `${backup}.restored`;
      const restored = await runPlanck(["restore", "--from", backup, "--data", target, "--quiet"]);
      assertEquals(restored.code, 0, restored.stderr);
      const count = await runPlanck(["pql", "--data", target, "orders.count()"]);
      assertEquals(JSON.parse(count.stdout), { count: orders });
    }
  } finally {
    client.close();
    await server.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("wire: the backup ops are admin-only and read only listed files", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_backup_ops_" });
  const server = await spawnServer(`${root}/data`);
  const admin = await connect(server.admin);
  try {
    const key = await admin.users.create("reader", "read_write");
    const user = await connect(
      server.admin.replace(/uid=[^;]+/, "uid=reader").replace(/key=[^;]+/, `key=${key}`),
    );
    try {
      const denied = await user.request("backupBegin", {}).then(() => "ok", (error) => error.code);
      assertEquals(denied, "forbidden");
    } finally {
      user.close();
    }
    const begun = await admin.request("backupBegin", {}) as { backup: string; files: { path: string }[] };
    assert(begun.files.some((file) => file.path === "index.btree"), JSON.stringify(begun.files));
    for (const path of ["../../etc/passwd", "/etc/passwd", "LOCK", "planck.log"]) {
      const code = await admin.request("backupRead", { backup: begun.backup, path, offset: 0, length: 1 })
        .then(() => "ok", (error) => error.code);
      assertEquals(code, "invalid_argument", path);
    }
    const past = await admin.request("backupRead", {
      backup: begun.backup,
      path: "index.btree",
      offset: 0,
      length: 1e9,
    }).then(() => "ok", (error) => error.code);
    assertEquals(past, "invalid_argument");
    assertEquals(await admin.request("backupEnd", { backup: begun.backup }), { released: true });
    const gone = await admin.request("backupEnd", { backup: begun.backup }).then(() => "ok", (e) => e.code);
    assertEquals(gone, "not_found");
  } finally {
    admin.close();
    await server.stop();
    await Deno.remove(root, { recursive: true });
  }
});
