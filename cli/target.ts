/**
 * Where a client command (pql, status, stop, users) runs: a server (`--connect STR`, else
 * `$PLANCK_CONNECT`, else `<data>/admin.credentials`) or a data directory opened in-process
 * (`--data DIR`, server stopped). Also maps errors to exit codes and messages.
 *
 * Invariants: a target is closed by its command; the key of a connection string never appears in
 * an error message.
 */
import {
  ClientError,
  connect,
  formatConnectionString,
  parseConnectionString,
  type PlanckClient,
} from "../client/mod.ts";
import { PlanckError } from "../protocol/errors.ts";
import { CREDENTIALS_FILE, readCredentials } from "../host/credentials.ts";
import { openLocal } from "../host/server/local.ts";
import { Users } from "../host/mod.ts";
import { DATA_DIR_DEFAULT } from "./defaults.ts";
import { EXIT, type ParsedArgs, UsageError } from "./args.ts";

/** Flags every client command accepts. */
export const TARGET_FLAGS = ["--connect", "--data", "--timeout"] as const;

/** A server or an offline data directory. */
export type Target =
  | { kind: "remote"; client: PlanckClient; connection: string }
  | { kind: "local"; local: Awaited<ReturnType<typeof openLocal>>; dataDir: string };

/** Opens the target the flags name. @throws UsageError, ClientError, PlanckError */
export async function openTarget(parsed: ParsedArgs, options: { local: boolean }): Promise<Target> {
  const connectFlag = parsed.flags.get("--connect");
  const dataDir = parsed.flags.get("--data");
  if (connectFlag !== undefined && dataDir !== undefined) {
    throw new UsageError("give --connect or --data, not both");
  }
  const timeout = parsed.flags.get("--timeout");
  const timeoutMs = timeout === undefined ? undefined : Number(timeout);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) {
    throw new UsageError("--timeout needs a positive integer of milliseconds");
  }
  if (dataDir !== undefined && connectFlag === undefined) {
    if (!options.local) {
      const saved = await readCredentials(dataDir);
      if (saved === undefined) {
        throw new UsageError(`no "${CREDENTIALS_FILE}" in "${dataDir}": pass --connect`);
      }
      return await remote(formatConnectionString(saved), timeoutMs);
    }
    return { kind: "local", local: await openLocal(dataDir), dataDir };
  }
  const connection = connectFlag ?? Deno.env.get("PLANCK_CONNECT") ?? await savedConnection();
  if (connection === undefined) {
    throw new UsageError(
      `no server given: pass --connect "<host:port;uid=…;key=…>", set PLANCK_CONNECT, or run where "${DATA_DIR_DEFAULT}/${CREDENTIALS_FILE}" exists`,
    );
  }
  return await remote(connection, timeoutMs);
}

async function remote(connection: string, timeoutMs: number | undefined): Promise<Target> {
  const client = await connect(connection, {
    timeoutMs,
    connectTimeoutMs: Math.min(timeoutMs ?? 5_000, 5_000),
  });
  return { kind: "remote", client, connection };
}

async function savedConnection(): Promise<string | undefined> {
  const saved = await readCredentials(DATA_DIR_DEFAULT);
  return saved === undefined ? undefined : formatConnectionString(saved);
}

/** Closes a target. */
export async function closeTarget(target: Target): Promise<void> {
  if (target.kind === "remote") target.client.close();
  else await target.local.close();
}

/** The users of a local target (opened with the directory). */
export function localUsers(target: Target & { kind: "local" }): Users {
  return target.local.users;
}

/** A connection string for `user` with `key` on the same server as `target`. */
export async function connectionFor(target: Target, user: string, key: string): Promise<string> {
  if (target.kind === "remote") {
    return formatConnectionString({ ...parseConnectionString(target.connection), user, key });
  }
  const saved = await readCredentials(target.dataDir);
  const address = saved ?? { hostname: "127.0.0.1", port: 23469, tls: false };
  return formatConnectionString({
    hostname: address.hostname,
    port: address.port,
    tls: address.tls,
    user,
    key,
  });
}

/** Prints an error and returns its exit code. */
export function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    console.error(`planck: ${error.message} (see --help)`);
    return EXIT.usage;
  }
  if (error instanceof ClientError) {
    console.error(`planck: ${error.message} (${error.code})`);
    if (error.code === "unavailable" || error.code === "timeout") return EXIT.unavailable;
    if (["unauthorized", "forbidden", "locked"].includes(error.code)) return EXIT.denied;
    return EXIT.failed;
  }
  if (error instanceof PlanckError) {
    console.error(`planck: ${error.message} (${error.code})`);
    return EXIT.failed;
  }
  throw error;
}
