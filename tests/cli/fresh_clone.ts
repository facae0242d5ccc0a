/**
 * A fresh clone of this checkout for tests of the first-time path: the files git tracks (plus
 * untracked files not ignored, so uncommitted work is tested too) copied into a temp dir, a scratch
 * HOME beside it, and a shell environment without Deno on PATH. Deno's module cache (DENO_DIR) is
 * shared with the running test, so npm packages are not downloaded again — "first-time npm
 * downloads excluded", as the README says.
 */
import * as path from "node:path";
export { freePort } from "../_util/ports.ts";

/** Root of the checkout under test. */
export const REPO = path.resolve(import.meta.dirname!, "..", "..");

/** A clone with its scratch HOME. */
export interface FreshClone {
  /** The temp dir holding `planck/` (the clone) and `home/`. */
  root: string;
  repo: string;
  home: string;
  /** Environment for commands: scratch HOME, PATH of system dirs only, the shared DENO_DIR. */
  env: Record<string, string>;
  remove(): Promise<void>;
}

function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit !== undefined && explicit !== "") return explicit;
  return path.join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
}

/** Copies the checkout into a temp dir. */
export async function freshClone(): Promise<FreshClone> {
  const root = await Deno.makeTempDir({ prefix: "planck_clone_" });
  const repo = path.join(root, "planck");
  const home = path.join(root, "home");
  await Deno.mkdir(home);
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: REPO,
    stdout: "piped",
  }).output();
  if (listed.code !== 0) throw new Error("git ls-files failed");
  for (const file of new TextDecoder().decode(listed.stdout).split("\0")) {
    if (file === "") continue;
    const source = path.join(REPO, file);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(source);
    } catch {
      continue; // deleted in the working tree
    }
    if (!info.isFile) continue;
    const target = path.join(repo, file);
    await Deno.mkdir(path.dirname(target), { recursive: true });
    await Deno.copyFile(source, target);
  }
  const env: Record<string, string> = {
    HOME: home,
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    DENO_DIR: denoDir(),
    NO_COLOR: "1",
  };
  return { root, repo, home, env, remove: () => Deno.remove(root, { recursive: true }) };
}

/** Runs `bash -c script` in `cwd` with `env`; resolves with the exit code and output. */
export async function sh(
  script: string,
  options: { cwd: string; env: Record<string, string>; stdin?: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command("bash", {
    args: ["-c", script],
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
