/**
 * The admin credentials file, `<data>/admin.credentials`: one line, the admin's connection string,
 * readable by the owner only (mode 0600). Written on first start; later starts only refresh its
 * address (the port may differ), never its key.
 *
 * Invariants: the file is replaced atomically (write to a fresh 0600 temporary file, then rename); the key is
 * never logged except in the one first-start message.
 */
import { type ConnectionInfo, formatConnectionString, parseConnectionString } from "../client/mod.ts";

/** File name of the admin credentials inside the data directory. */
export const CREDENTIALS_FILE = "admin.credentials";
/** Owner read/write only. */
const CREDENTIALS_MODE = 0o600;

/** The host to put in a connection string for a server bound to `bind`. */
export function connectHost(bind: string): string {
  if (bind === "0.0.0.0") return "127.0.0.1";
  if (bind === "::") return "::1";
  return bind;
}

/** Writes the credentials file; returns its path. */
export async function writeCredentials(dataDir: string, info: ConnectionInfo): Promise<string> {
  const path = `${dataDir}/${CREDENTIALS_FILE}`;
  const temporary = `${path}.tmp`;
  // A temporary file left by a crash keeps its old mode when written over: remove it, then create the
  // file anew with 0600, so the key is never in a file others may read, not even for a moment.
  await Deno.remove(temporary).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.writeTextFile(temporary, formatConnectionString(info) + "\n", {
    mode: CREDENTIALS_MODE,
    createNew: true,
  });
  await Deno.chmod(temporary, CREDENTIALS_MODE); // the umask may have cleared bits, never added them
  await Deno.rename(temporary, path);
  return path;
}

/** Reads the credentials file, or undefined when it is missing or unreadable. */
export async function readCredentials(dataDir: string): Promise<ConnectionInfo | undefined> {
  try {
    return parseConnectionString(await Deno.readTextFile(`${dataDir}/${CREDENTIALS_FILE}`));
  } catch {
    return undefined;
  }
}

/** Points an existing credentials file at the server's current address (keeps its key). */
export async function refreshCredentials(
  dataDir: string,
  address: { hostname: string; port: number; tls: boolean },
): Promise<void> {
  const current = await readCredentials(dataDir);
  if (current === undefined) return;
  if (current.hostname === address.hostname && current.port === address.port && current.tls === address.tls) {
    return;
  }
  await writeCredentials(dataDir, { ...current, ...address });
}
