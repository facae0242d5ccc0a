/**
 * Bootstrapping a replica from a consistent copy of its primary (docs/replication.md, "Bootstrap"):
 * when a replica starts on an empty data directory it asks the primary to pin its files as of one
 * LSN (the online backup ops, `backupBegin`/`backupRead`/`backupEnd`, which the `replication` role
 * may run), copies them while the primary keeps taking writes, and then opens the copy, whose WAL
 * holds the primary's frames up to that LSN: streaming continues from there.
 *
 * Invariants: only an empty (or missing) directory is filled; the pin is released whatever happens;
 * the copy opens at exactly the pinned LSN (checked by the backup code).
 */
import { type ConnectionInfo, WireTransport } from "../../client/mod.ts";
import { backupSource, remoteSource } from "../ops/mod.ts";

/** True when `dataDir` is missing or empty (a replica that has never held data). */
export async function isEmptyDir(dataDir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dataDir)) return false;
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/**
 * Copies the primary's pinned files into the empty `dataDir` (through `<dataDir>.bootstrap`, renamed
 * into place when whole, so a crash mid-copy leaves `dataDir` empty); returns the LSN of the copy.
 */
export async function bootstrapFromPrimary(info: ConnectionInfo, dataDir: string): Promise<number> {
  const staging = stagingDir(dataDir);
  const lsn = await copySnapshot(info, staging);
  await Deno.remove(dataDir, { recursive: true }).catch(() => {}); // empty, checked by the caller
  await Deno.rename(staging, dataDir);
  return lsn;
}

/** Where a snapshot of the primary is copied before it replaces `dataDir`. */
export function stagingDir(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}.bootstrap`;
}

/** Copies the primary's files, pinned as of one LSN, into `staging` (replaced); returns that LSN. */
export async function copySnapshot(info: ConnectionInfo, staging: string): Promise<number> {
  await Deno.remove(staging, { recursive: true }).catch(() => {}); // a copy a crash left behind
  const transport = await WireTransport.open(info, { connectTimeoutMs: 30_000 });
  try {
    return (await backupSource(await remoteSource(transport), staging, { quiet: true })).lsn;
  } finally {
    transport.close();
  }
}
