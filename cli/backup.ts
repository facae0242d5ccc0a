/**
 * `planck backup`, `planck verify`, `planck restore` (host/ops/backup.ts, verify.ts): offline
 * backups of a stopped server's data directory, with a manifest of LSN, stores, counts and the
 * SHA-256 of every file. Each prints one JSON line on success; a damaged backup fails with exit 1
 * and names the file.
 */
import { backupDirectory, restoreBackup, verifyBackup } from "../host/ops/mod.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { DATA_DIR_DEFAULT } from "./defaults.ts";

export const BACKUP_USAGE = `planck backup --to DIR [--data DIR] [--quiet]

  Copies a stopped server's data directory (default ./data) into the empty or missing DIR as of
  one LSN, with DIR/manifest.json (LSN, time, stores and document counts, size and SHA-256 of
  every file). Online backup (--connect) is not built yet. Example:
    planck backup --data data --to backups/today`;

export const VERIFY_USAGE = `planck verify BACKUP [--quiet]

  Checks every file of BACKUP against its manifest (size, SHA-256), then restores it into a
  scratch directory, opens it and compares the LSN and per-store counts; names a damaged file.`;

export const RESTORE_USAGE = `planck restore --from BACKUP --data NEWDIR [--force] [--quiet]

  Verifies BACKUP's checksums and rebuilds a data directory from it. Refuses a non-empty NEWDIR
  unless --force (which replaces its content; refused while a server runs on it).`;

/** Runs `planck backup`. */
export async function runBackup(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: ["--to", "--data", "--connect"], switches: ["--quiet"] });
  if (parsed.positionals.length > 0) throw new UsageError("backup takes no positional arguments");
  if (parsed.flags.has("--connect")) {
    throw new UsageError("online backup (--connect) is not built yet: stop the server and use --data");
  }
  const to = parsed.flags.get("--to");
  if (to === undefined) throw new UsageError("--to DIR is required");
  const manifest = await backupDirectory(parsed.flags.get("--data") ?? DATA_DIR_DEFAULT, to, {
    quiet: parsed.switches.has("--quiet"),
  });
  const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  console.log(
    JSON.stringify({
      backup: to,
      lsn: manifest.lsn,
      files: manifest.files.length,
      bytes,
      stores: manifest.stores,
    }),
  );
  return EXIT.ok;
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
  const parsed = parseArgs(args, { flags: ["--from", "--data"], switches: ["--force", "--quiet"] });
  if (parsed.positionals.length > 0) throw new UsageError("restore takes no positional arguments");
  const from = parsed.flags.get("--from");
  const data = parsed.flags.get("--data");
  if (from === undefined || data === undefined) {
    throw new UsageError("--from BACKUP and --data NEWDIR are required");
  }
  const result = await restoreBackup(from, data, {
    force: parsed.switches.has("--force"),
    quiet: parsed.switches.has("--quiet"),
  });
  console.log(JSON.stringify({ restored: data, ...result }));
  return EXIT.ok;
}
