/**
 * `planck backup --remote URL [--to FILE.tar]`: an online backup taken by the server through its
 * workbench API (`POST /api/backups`, written to the server's backup directory), then, with `--to`,
 * downloaded (`GET /api/backups/NAME/download`) to FILE.tar on this machine. Credentials as every
 * `--remote` command (cli/remote.ts: --user/--key or a profile). Prints one JSON line.
 *
 * Invariants: the download goes to `FILE.tar.partial` and is renamed into place only when it has
 * every byte the server announced; an existing FILE.tar is never overwritten.
 */
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { call, REMOTE_FLAGS, RemoteError, resolve } from "./remote.ts";

/** Runs `planck backup --remote URL …`. */
export async function runRemoteBackup(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: [...REMOTE_FLAGS, "--to"], switches: ["--quiet"] });
  if (parsed.positionals.length > 0) throw new UsageError("backup takes no positional arguments");
  const to = parsed.flags.get("--to");
  if (to !== undefined && !to.endsWith(".tar")) {
    throw new UsageError("with --remote, --to names the FILE.tar to download the backup to");
  }
  if (to !== undefined && await exists(to)) throw new UsageError(`"${to}" exists: choose a new file`);
  const target = await resolve(parsed);
  try {
    const taken = await call(target, "POST", "/api/backups") as { name: string; lsn: number; bytes: number };
    const out: Record<string, unknown> = {
      backup: taken.name,
      remote: target.url,
      lsn: taken.lsn,
      bytes: taken.bytes,
    };
    if (to !== undefined) {
      await download(target, taken.name, taken.bytes, to);
      out.to = to;
    }
    console.log(JSON.stringify({ ...out, stores: (taken as Record<string, unknown>).stores }));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    console.error(`planck: ${error.message}`);
    return error.exitCode;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function download(
  target: { url: string; user: string; key: string },
  name: string,
  bytes: number,
  to: string,
): Promise<void> {
  const response = await fetch(`${target.url}/api/backups/${encodeURIComponent(name)}/download`, {
    headers: { authorization: `Basic ${btoa(`${target.user}:${target.key}`)}` },
  }).catch((error) => {
    throw new RemoteError(
      `cannot reach the workbench at ${target.url}: ${(error as Error).message}`,
      EXIT.unavailable,
    );
  });
  if (!response.ok || response.body === null) {
    const text = await response.text();
    throw new RemoteError(
      `${target.url}: downloading ${name} failed (${response.status}): ${text.slice(0, 200)}`,
      EXIT.failed,
    );
  }
  const partial = `${to}.partial`;
  let written = 0;
  try {
    using file = await Deno.open(partial, { write: true, createNew: true, mode: 0o600 });
    for await (const chunk of response.body) {
      for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
      written += chunk.length;
    }
    await file.sync();
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
  if (written !== bytes) {
    await Deno.remove(partial).catch(() => {});
    throw new RemoteError(
      `${target.url}: the download of ${name} ended at ${written} of ${bytes} bytes`,
      EXIT.failed,
    );
  }
  await Deno.rename(partial, to);
}
