/**
 * `planck backup --remote URL --to FILE.tar` against a real server's workbench: the server takes an
 * online backup, the CLI downloads it, and `planck verify` accepts the file; an existing target is
 * refused and a read-only user's key exits 4.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { basic, withWorkbench } from "../workbench/workbench_server.ts";
import { REPO } from "./fresh_clone.ts";

async function planck(args: string[], home: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO}/main.ts`, ...args],
    env: { NO_COLOR: "1", HOME: home, XDG_CONFIG_HOME: `${home}/.config` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("planck backup --remote: the server backs up online, the CLI downloads a tar that verifies", async () => {
  const home = await Deno.makeTempDir({ prefix: "planck_remote_backup_" });
  try {
    await withWorkbench(async ({ base, adminKey, dataDir }) => {
      const admin = { ...basic("admin", adminKey), "content-type": "application/json" };
      await (await fetch(`${base}/api/stores`, { method: "POST", headers: admin, body: '{"name":"items"}' }))
        .body
        ?.cancel();
      for (let n = 0; n < 5; n++) {
        await (await fetch(`${base}/api/stores/items/documents`, {
          method: "POST",
          headers: admin,
          body: `{"n":${n}}`,
        }))
          .body?.cancel();
      }
      const to = `${home}/copy.tar`;
      const taken = await planck(["backup", "--remote", base, "--key", adminKey, "--to", to], home);
      assertEquals(taken.code, 0, taken.stderr);
      const line = JSON.parse(taken.stdout.trim());
      assert(/^planck-.*\.tar$/.test(line.backup) && line.to === to, taken.stdout);
      assertEquals(line.stores.find((s: { name: string }) => s.name === "items").documents, 5);
      assertEquals((await Deno.stat(to)).size, line.bytes);
      assertEquals(
        (await Deno.stat(to)).mode! & 0o077,
        0,
        "the downloaded tar is owner-only (it holds sysusers)",
      );
      const verified = await planck(["verify", to, "--quiet"], home);
      assertEquals(verified.code, 0, verified.stderr);
      const again = await planck(["backup", "--remote", base, "--key", adminKey, "--to", to], home);
      assertEquals(again.code, 2, again.stderr);
      const viewer = await (await fetch(`${base}/api/users`, {
        method: "POST",
        headers: admin,
        body: '{"user":"viewer","role":"read_only"}',
      })).json();
      const refused = await planck(
        ["backup", "--remote", base, "--user", "viewer", "--key", viewer.key],
        home,
      );
      assertEquals(refused.code, 4, refused.stderr);
      assert(refused.stderr.includes("Forbidden"), refused.stderr);
      await Deno.remove(`${dataDir}-backups`, { recursive: true });
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
