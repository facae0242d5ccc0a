/**
 * Keys never reach the logs: a first `planck start` (a subprocess over a fresh data directory)
 * prints the admin connection string to the terminal once and saves it to the 0600 credentials
 * file, but neither planck.log in the data directory nor the wire `logs`/`stats` answers hold the
 * key; a rotated key and a failed login with a wrong key are not logged either.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { spawnServer } from "../host/test_server.ts";

Deno.test("the admin key is printed once to the terminal and never written to planck.log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_key_log_" });
  try {
    const server = await spawnServer(`${dir}/data`);
    let rotated = "";
    const wrong = "wrong-key-that-must-not-be-logged";
    try {
      const key = /key=([^;\s]+)/.exec(server.admin)![1];
      assert(server.output().includes(key), "the first start shows the key on the terminal");
      assertEquals((await Deno.stat(`${dir}/data/admin.credentials`)).mode! & 0o777, 0o600);
      const client = await connect(server.admin);
      try {
        rotated = await client.users.create("reader", "read_only");
        await connect(server.admin.replace(/key=[^;]+/, `key=${wrong}`)).then((c) => c.close(), () => {});
      } finally {
        client.close();
      }
      const log = await Deno.readTextFile(`${dir}/data/planck.log`);
      assert(log.includes("first start"), `planck.log records the first start:\n${log}`);
      for (const secret of [key, rotated, wrong]) {
        assert(!log.includes(secret), `planck.log holds a key:\n${log}`);
      }
    } finally {
      await server.stop();
    }
    const log = await Deno.readTextFile(`${dir}/data/planck.log`);
    const saved = /key=([^;\s]+)/.exec(await Deno.readTextFile(`${dir}/data/admin.credentials`))![1];
    for (const secret of [saved, rotated, wrong]) {
      assert(!log.includes(secret), "no key after stopping either");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
