/** `planck backup`, `verify`, `restore` end to end through `deno run -A main.ts …` subprocesses. */
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../_util/assert.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

async function planck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

Deno.test("cli: backup, verify, restore; a damaged file is named; a full target is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "planck_cli_backup_" });
  try {
    const data = `${dir}/data`;
    for (const n of [1, 2, 3]) {
      assertEquals((await planck(["pql", "--data", data, "--create", `orders.insert({"n": ${n}})`])).code, 0);
    }
    const backup = await planck(["backup", "--data", data, "--to", `${dir}/bk`]);
    assertEquals(backup.code, 0, backup.stderr);
    const summary = JSON.parse(backup.stdout);
    assert(
      summary.stores.some((s: { name: string; documents: number }) =>
        s.name === "orders" && s.documents === 3
      ),
    );
    assert(backup.stderr.includes("backup: "), backup.stderr);
    const verified = await planck(["verify", `${dir}/bk`, "--quiet"]);
    assertEquals(verified.code, 0, verified.stderr);
    assertEquals(JSON.parse(verified.stdout).lsn, summary.lsn);
    const restored = await planck(["restore", "--from", `${dir}/bk`, "--data", `${dir}/new`]);
    assertEquals(restored.code, 0, restored.stderr);
    const count = await planck(["pql", "--data", `${dir}/new`, "orders.count()"]);
    assertEquals(JSON.parse(count.stdout), { count: 3 });
    const again = await planck(["restore", "--from", `${dir}/bk`, "--data", `${dir}/new`]);
    assertEquals(again.code, 1);
    assert(again.stderr.includes("--force"), again.stderr);
    assertEquals(
      (await planck(["restore", "--from", `${dir}/bk`, "--data", `${dir}/new`, "--force"])).code,
      0,
    );

    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/bk/manifest.json`));
    const victim = manifest.files.find((file: { bytes: number }) => file.bytes > 0).path as string;
    const bytes = await Deno.readFile(`${dir}/bk/${victim}`);
    bytes[0] ^= 0xff;
    await Deno.writeFile(`${dir}/bk/${victim}`, bytes);
    const damaged = await planck(["verify", `${dir}/bk`]);
    assertEquals(damaged.code, 1);
    assert(damaged.stderr.includes(`"${victim}" is damaged`), damaged.stderr);
    assertEquals((await planck(["backup", "--data", data, "--to", `${dir}/b2`, "--bogus"])).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
