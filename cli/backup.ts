/**
 * `planck backup`, `planck verify`, `planck restore` (host/ops/backup.ts, online_backup.ts,
 * verify.ts): online backups of a running server, offline backups of a stopped server's data
 * directory, as a directory or a tar file, with a manifest of LSN, stores, counts and the
 * SHA-256 of every file. Each prints one JSON line on success; a damaged backup fails with exit 1
 * and names the file.
 */
import { lockDir } from "../engine/db/dir_lock.ts";
import { PlanckError } from "../protocol/errors.ts";
import { backupDirectory, backupSource, remoteSource, restoreBackup, verifyBackup } from "../host/ops/mod.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";
import { EXIT, parseArgs, type ParsedArgs, UsageError } from "./args.ts";
import { parseRestorePoint, restoreToPoint } from "../host/replication/pitr.ts";
import { DATA_DIR_DEFAULT } from "./defaults.ts";
import { runRemoteBackup } from "./remote_backup.ts";

export const BACKUP_USAGE = `planck backup --to DIR|FILE.tar [--connect STR | --data DIR] [--quiet]

  A consistent copy as of one LSN, with a manifest (LSN, time, stores and document counts, size
  and SHA-256 of every file): into the empty or missing DIR, or one new ustar FILE.tar. With a
  server running (--connect, $PLANCK_CONNECT, or --data DIR whose server holds it: its
  admin.credentials are used) the backup is online: writes go on while the files are copied to
  this machine. Otherwise the stopped directory (default ./data) is copied offline. Example:
    planck backup --to backups/today.tar
  With --remote URL (the server's workbench; --user/--key or a profile as for deploy) the
  server takes the backup into its backup directory; --to FILE.tar also downloads it here.`;

export const VERIFY_USAGE = `planck verify BACKUP [--quiet]

  BACKUP is a backup directory or .tar file. Checks every file of BACKUP against its manifest (size, SHA-256), then restores it into a
  scratch directory, opens it and compares the LSN and per-store counts; names a damaged file.`;

export const RESTORE_USAGE = `planck restore --from BACKUP --data NEWDIR [--force] [--quiet]
planck restore --from BACKUP_OR_ARCHIVE --until LSN|TIME [--archive DIR] [--wal DIR] --data NEWDIR [--force] [--quiet]

  Verifies BACKUP's checksums and rebuilds a data directory from it. Refuses a non-empty NEWDIR
  unless --force (which replaces its content; refused while a server runs on it).
  With --until (an LSN, or an RFC 3339 time such as 2026-12-07T12:30:00Z): point-in-time restore.
  The base is BACKUP (or nothing, when --from is a WAL archive directory); the archived WAL groups
  after it (from --archive DIR and --wal DIR, a copy of the primary's wal/) are applied up to the
  last one committed at or before that point.`;

/** Runs `planck backup`. */
export async function runBackup(args: string[]): Promise<number> {
  if (args.includes("--remote")) return await runRemoteBackup(args);
  const parsed = parseArgs(args, { flags: ["--to", ...TARGET_FLAGS], switches: ["--quiet"] });
  if (parsed.positionals.length > 0) throw new UsageError("backup takes no positional arguments");
  const to = parsed.flags.get("--to");
  if (to === undefined) throw new UsageError("--to DIR or --to FILE.tar is required");
  const quiet = parsed.switches.has("--quiet");
  const data = parsed.flags.get("--data");
  const online = parsed.flags.has("--connect") || (data === undefined && Deno.env.has("PLANCK_CONNECT")) ||
    isServed(data ?? DATA_DIR_DEFAULT);
  let manifest;
  if (online) {
    const target = await openTarget(parsed, { local: false });
    try {
      if (target.kind !== "remote") throw new UsageError("online backup needs a server");
      manifest = await backupSource(await remoteSource(target.client), to, { quiet, label: "online" });
    } finally {
      await closeTarget(target);
    }
  } else {
    manifest = await backupDirectory(data ?? DATA_DIR_DEFAULT, to, { quiet });
  }
  const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  console.log(
    JSON.stringify({
      backup: to,
      online,
      lsn: manifest.lsn,
      files: manifest.files.length,
      bytes,
      stores: manifest.stores,
    }),
  );
  return EXIT.ok;
}

/** True when a server holds `dir`'s lock (then its admin.credentials reach it). */
export function isServed(dir: string): boolean {
  try {
    Deno.statSync(`${dir}/wal`);
  } catch {
    return false;
  }
  try {
    lockDir(dir).release();
    return false;
  } catch (error) {
    if (error instanceof PlanckError && error.code === "locked") return true;
    throw error;
  }
}

/** Runs `planck verify`. */
export async function runVerify(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { switches: ["--quiet"] });
  if (parsed.positionals.length !== 1) throw new UsageError("give one BACKUP directory");
  const result = await verifyBackup(parsed.positionals[0], { quiet: parsed.switches.has("--quiet") });
  console.log(JSON.stringify({ verified: parsed.positionals[0], ...result }));
  return EXIT.ok;
}

/** Runs `planck restore`. */
export async function runRestore(args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    flags: ["--from", "--data", "--until", "--archive", "--wal"],
    switches: ["--force", "--quiet"],
  });
  if (parsed.positionals.length > 0) throw new UsageError("restore takes no positional arguments");
  const from = parsed.flags.get("--from");
  const data = parsed.flags.get("--data");
  if (from === undefined || data === undefined) {
    throw new UsageError("--from BACKUP and --data NEWDIR are required");
  }
  const until = parsed.flags.get("--until");
  if (until !== undefined) return await runPointRestore(parsed, from, data, until);
  if (parsed.flags.has("--archive") || parsed.flags.has("--wal")) {
    throw new UsageError("--archive and --wal need --until LSN|TIME (point-in-time restore)");
  }
  const result = await restoreBackup(from, data, {
    force: parsed.switches.has("--force"),
    quiet: parsed.switches.has("--quiet"),
  });
  console.log(JSON.stringify({ restored: data, ...result }));
  return EXIT.ok;
}

/** `planck restore --until`: point-in-time restore (host/replication/pitr.ts). */
async function runPointRestore(
  parsed: ParsedArgs,
  from: string,
  data: string,
  until: string,
): Promise<number> {
  const result = await restoreToPoint({
    from,
    archive: parsed.flags.get("--archive"),
    wal: parsed.flags.get("--wal"),
    until: parseRestorePoint(until),
    data,
    force: parsed.switches.has("--force"),
    quiet: parsed.switches.has("--quiet"),
  });
  console.log(JSON.stringify({ restored: data, until, ...result }));
  return EXIT.ok;
}
