/**
 * scripts/release.ts packs binaries into per-platform archives with SHA-256 sums. No `planck`
 * binary can be compiled here (no denort, see scripts/compile.ts), so the file packed is the real
 * `planck` launcher `deno task install` writes (scripts/install.ts) — named as what it is, not as
 * a compiled binary. The system `tar` extracts the archive to the same bytes with mode 0755, the
 * extracted launcher runs `planck help`, `sha256sum -c SHA256SUMS` passes, and the same
 * inputs give the same archive bytes. Also the command line: `--binaries DIR` packs what is there
 * and refuses a target whose binary is missing.
 */
import * as path from "node:path";
import { archiveBinary, tarArchive, writeChecksums } from "../../scripts/release.ts";
import { launcherScript } from "../../scripts/install.ts";
import { assert, assertEquals } from "../_util/assert.ts";
import { REPO } from "./fresh_clone.ts";

async function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const decoder = new TextDecoder();
  return { code: output.code, out: decoder.decode(output.stdout) + decoder.decode(output.stderr) };
}

Deno.test("release archives: tar extracts the launcher with mode 0755, it runs, sha256sum -c passes", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_release_" });
  try {
    const launcher = path.join(root, "planck");
    await Deno.writeTextFile(launcher, launcherScript(REPO, Deno.execPath()));
    await Deno.chmod(launcher, 0o755);
    const out = path.join(root, "release");
    const docs = [{ name: "README.md", file: path.join(REPO, "README.md") }];
    const options = { binary: launcher, version: "9.9.9", out, docs, mtime: 1_700_000_000 };
    const linux = await archiveBinary({ ...options, target: "x86_64-unknown-linux-gnu" });
    const mac = await archiveBinary({ ...options, target: "aarch64-apple-darwin" });
    const sums = await writeChecksums([mac, linux]);
    assertEquals(path.basename(linux), "planck-9.9.9-x86_64-unknown-linux-gnu.tar.gz");

    const checked = await run("sha256sum", ["-c", "SHA256SUMS"], out);
    assertEquals(checked.code, 0, checked.out);
    assert(checked.out.includes("planck-9.9.9-x86_64-unknown-linux-gnu.tar.gz: OK"), checked.out);
    assertEquals((await Deno.readTextFile(sums)).trim().split("\n").length, 2);

    const extracted = path.join(root, "x");
    await Deno.mkdir(extracted);
    const untar = await run("tar", ["-xzf", linux, "-C", extracted], root);
    assertEquals(untar.code, 0, untar.out);
    const unpacked = path.join(extracted, "planck-9.9.9-x86_64-unknown-linux-gnu", "planck");
    assertEquals(await Deno.readFile(unpacked), await Deno.readFile(launcher));
    assertEquals((await Deno.stat(unpacked)).mode! & 0o777, 0o755);
    assertEquals(
      await Deno.readTextFile(path.join(extracted, "planck-9.9.9-x86_64-unknown-linux-gnu", "README.md")),
      await Deno.readTextFile(path.join(REPO, "README.md")),
    );
    const help = await run(unpacked, ["help"], root);
    assertEquals(help.code, 0, help.out);
    assert(help.out.includes("Usage: planck <command>"), help.out);

    const again = await archiveBinary({
      ...options,
      target: "x86_64-unknown-linux-gnu",
      out: path.join(root, "r2"),
    });
    assertEquals(await Deno.readFile(again), await Deno.readFile(linux), "same inputs, same bytes");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("release: tar headers are valid ustar (checksum, size, name limit)", () => {
  const bytes = new TextEncoder().encode("hello");
  const tar = tarArchive([{ name: "a/b", bytes, mode: 0o644 }], 0);
  assertEquals(tar.length, 512 * 4);
  const header = tar.subarray(0, 512);
  const field = (at: number, n: number) =>
    new TextDecoder().decode(header.subarray(at, at + n)).replace(/\0.*$/s, "");
  assertEquals(field(257, 6), "ustar");
  assertEquals(parseInt(field(124, 12), 8), 5);
  const stored = parseInt(field(148, 8), 8);
  const blank = Uint8Array.from(header);
  blank.fill(32, 148, 156);
  assertEquals(blank.reduce((a, b) => a + b, 0), stored);
  let refused = false;
  try {
    tarArchive([{ name: "x".repeat(101), bytes, mode: 0o644 }], 0);
  } catch {
    refused = true;
  }
  assert(refused, "a name over 100 bytes is refused");
});

Deno.test("release command: --binaries packs what is there, a missing target's binary is refused", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck_release_" });
  try {
    const target = "x86_64-unknown-linux-gnu";
    await Deno.mkdir(path.join(root, "bin", target), { recursive: true });
    const launcher = path.join(root, "bin", target, "planck");
    await Deno.writeTextFile(launcher, launcherScript(REPO, Deno.execPath()));
    const script = path.join(REPO, "scripts", "release.ts");
    const common = ["run", "-A", script, "--version", "1.2.3", "--binaries", path.join(root, "bin")];
    const packed = await run(Deno.execPath(), [
      ...common,
      "--targets",
      target,
      "--out",
      path.join(root, "out"),
    ], root);
    assertEquals(packed.code, 0, packed.out);
    assert(packed.out.includes("SHA256SUMS"), packed.out);
    const checked = await run("sha256sum", ["-c", "SHA256SUMS"], path.join(root, "out"));
    assertEquals(checked.code, 0, checked.out);

    const missing = await run(
      Deno.execPath(),
      [...common, "--targets", `${target},aarch64-apple-darwin`, "--out", path.join(root, "out2")],
      root,
    );
    assertEquals(missing.code, 1, missing.out);
    assert(missing.out.includes("aarch64-apple-darwin: no compiled binary at"), missing.out);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
