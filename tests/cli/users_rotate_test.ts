/**
 * `planck users rotate admin` against the server of ./data rewrites data/admin.credentials with
 * the new key (mode 0600), so the next command still logs in; rotating another user leaves the
 * file alone.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { withServer } from "../host/test_server.ts";
import { REPO } from "./fresh_clone.ts";

async function planck(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO}/main.ts`, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("planck users rotate updates admin.credentials when it rotates that key", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "planck_rotate_" });
  try {
    await withServer(async ({ dataDir, admin }) => {
      await Deno.symlink(dataDir, `${cwd}/data`);
      const file = `${dataDir}/admin.credentials`;
      assertEquals((await Deno.readTextFile(file)).trim(), admin);
      assertEquals((await planck(["users", "add", "ann"], cwd)).code, 0);
      const other = await planck(["users", "rotate", "ann"], cwd);
      assertEquals(other.code, 0, other.stderr);
      assertEquals((await Deno.readTextFile(file)).trim(), admin, "another user's rotation leaves the file");

      const rotated = await planck(["users", "rotate", "admin"], cwd);
      assertEquals(rotated.code, 0, rotated.stderr);
      assert(rotated.stderr.includes("with the new key"), rotated.stderr);
      const saved = (await Deno.readTextFile(file)).trim();
      assertEquals(saved, rotated.stdout.trim());
      assert(saved !== admin);
      assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
      const status = await planck(["status"], cwd);
      assertEquals(status.code, 0, status.stderr);
    });
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
