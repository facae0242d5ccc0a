/**
 * The data directory lock: one process opens a data directory at a time. An exclusive advisory
 * lock (flock) on `<dir>/LOCK` is held for as long as the database is open; the file names the
 * holder so that a second opener's error can say who it is. A crashed holder's lock is released by
 * the OS, so there are no stale locks to clean up.
 */
import { PlanckError } from "../../protocol/errors.ts";

/** The lock file's name inside a data directory. */
export const LOCK_FILE = "LOCK";

/** A held lock; `release()` gives it up. */
export interface DirLock {
  release(): void;
}

/**
 * Takes the lock on `dir` or throws.
 * @throws PlanckError `locked` naming the holder
 */
export function lockDir(dir: string): DirLock {
  const path = `${dir}/${LOCK_FILE}`;
  const file = Deno.openSync(path, { read: true, write: true, create: true });
  let held = false;
  try {
    held = file.tryLockSync(true);
  } catch (error) {
    file.close();
    throw new PlanckError("internal", `Cannot lock "${path}": ${(error as Error).message}`, { file: path });
  }
  if (!held) {
    let holder = "another process";
    try {
      const text = new TextDecoder().decode(Deno.readFileSync(path)).trim();
      if (text !== "") holder = text;
    } catch { /* the holder's description is best effort */ }
    file.close();
    throw new PlanckError(
      "locked",
      `Cannot open data directory "${dir}": it is in use by ${holder}`,
      { file: path },
    );
  }
  const text = `pid ${Deno.pid} on ${safeHostname()} since ${new Date().toISOString()}`;
  file.truncateSync(0);
  file.writeSync(new TextEncoder().encode(text + "\n"));
  return {
    release(): void {
      try {
        file.unlockSync();
      } finally {
        file.close();
      }
    },
  };
}

function safeHostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "this host";
  }
}
