/**
 * scripts/install.ts: the launcher it writes runs the checkout's main.ts with the recorded Deno,
 * falls back to the checkout's .tools Deno when that one is gone, passes arguments through
 * untouched, and survives paths with spaces and quotes; PLANCK_BIN_DIR picks where it goes.
 */
import * as path from "node:path";
import { assert, assertEquals } from "../_util/assert.ts";
import { launcherScript } from "../../scripts/install.ts";
import { sh } from "./fresh_clone.ts";

const ECHO_MAIN = `console.log(JSON.stringify({ args: Deno.args, cwd: Deno.cwd() }));\n`;

Deno.test("launcherScript runs main.ts with the recorded Deno, then the checkout's .tools Deno", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_launcher_" });
  try {
    const repo = path.join(root, "it's a checkout");
    await Deno.mkdir(repo);
    await Deno.writeTextFile(path.join(repo, "main.ts"), ECHO_MAIN);
    await Deno.writeTextFile(path.join(repo, "deno.json"), "{}\n");
    const launcher = path.join(root, "planck");
    const env = { HOME: root, PATH: "/usr/bin:/bin", DENO_DIR: path.join(root, "deno_dir") };

    await Deno.writeTextFile(launcher, launcherScript(repo, Deno.execPath()), { mode: 0o755 });
    const direct = await sh(`"$0" build 'two words' --flag=x`.replace("$0", launcher), { cwd: root, env });
    assertEquals(direct.code, 0, direct.stderr);
    assertEquals(JSON.parse(direct.stdout), { args: ["build", "two words", "--flag=x"], cwd: root });

    const bin = path.join(repo, ".tools", "node_modules", ".bin");
    await Deno.mkdir(bin, { recursive: true });
    await Deno.symlink(Deno.execPath(), path.join(bin, "deno"));
    await Deno.writeTextFile(launcher, launcherScript(repo, path.join(root, "gone", "deno")), {
      mode: 0o755,
    });
    const fallback = await sh(`'${launcher}' status`, { cwd: root, env });
    assertEquals(fallback.code, 0, fallback.stderr);
    assertEquals(JSON.parse(fallback.stdout).args, ["status"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task install writes an executable launcher to PLANCK_BIN_DIR", async () => {
  const bin = await Deno.makeTempDir({ prefix: "planck_bin_" });
  try {
    const repo = path.resolve(import.meta.dirname!, "..", "..");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path.join(repo, "scripts", "install.ts")],
      env: { PLANCK_BIN_DIR: bin, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const launcher = path.join(bin, "planck");
    assert(((await Deno.stat(launcher)).mode! & 0o111) !== 0, "executable");
    assert(new TextDecoder().decode(out.stdout).includes("not on PATH"), "says how to add it to PATH");
    const help = await sh(`'${launcher}' --help`, { cwd: bin, env: { PATH: "/usr/bin:/bin", HOME: bin } });
    assertEquals(help.code, 0, help.stderr);
    assert(help.stdout.includes("Usage: planck <command>"), help.stdout);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});
