/**
 * The Planck process: the engine, the wire server, the app HTTP and workbench listeners (reserved
 * until their issues land: they answer 503 "not yet"), and signal handling.
 *
 * Start: 1. open the database; 2. open users and, on first start, create the admin (its key goes
 * to `<data>/admin.credentials` and is printed once); 3. listen (wire, HTTP, workbench); 4. print
 * the bound addresses; 5. on SIGINT/SIGTERM or the `shutdown` op, stop.
 * Stop: 1. stop accepting on every port; 2. drain in-flight wire requests (up to the drain
 * timeout); 3. sync the WAL; 4. close the database (checkpoint, lock release).
 *
 * Invariants: every acknowledged write was durable before its response was sent, so stopping
 * loses none; a failure while starting releases what was already acquired.
 */
import { openDatabase } from "../engine/database.ts";
import { PlanckError } from "../engine/errors.ts";
import { formatConnectionString } from "../client/mod.ts";
import { Users } from "./auth.ts";
import type { Config } from "./config.ts";
import { connectHost, refreshCredentials, writeCredentials } from "./credentials.ts";
import { Lockout } from "./lockout.ts";
import { WireServer } from "./wire/server.ts";

/** A running server. */
export interface PlanckServer {
  readonly config: Config;
  /** Bound ports (the chosen ones where 0 was configured). */
  readonly ports: { wire: number; http: number; workbench: number };
  /** The admin connection string on first start (null on later starts). */
  readonly adminConnection: string | null;
  /** Stops gracefully; idempotent. Resolves when stopped. */
  stop(reason?: string): Promise<void>;
  /** Resolves once the server has stopped (by stop(), a signal or the shutdown op). */
  readonly finished: Promise<void>;
}

/** Options of `startServer`. */
export interface StartOptions {
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
  /** Listen for SIGINT and SIGTERM (default true). */
  signals?: boolean;
}

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Starts Planck with `config`. @throws PlanckError when the data dir is locked or a port cannot be bound */
export async function startServer(config: Config, options: StartOptions = {}): Promise<PlanckServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const startedMs = Date.now();
  const tls = await readTls(config);
  const db = await openDatabase(config.dataDir, {
    durability: config.durability,
    walSegmentBytes: config.walSegmentBytes,
    memtableBytes: config.memtableBytes,
  });
  const opened: { wire?: WireServer; http?: Deno.HttpServer; workbench?: Deno.HttpServer } = {};
  try {
    const r = db.recovery;
    log(`planck: data directory "${config.dataDir}" open (recovered ${r.groups} groups up to LSN ${r.lastLsn})`);
    const users = await Users.open(db);
    const adminKey = await users.bootstrap();
    const lockout = new Lockout({
      failures: config.security.lockoutFailures,
      baseMs: config.security.lockoutBaseMs,
      maxMs: config.security.lockoutMaxMs,
    });
    let stopping: Promise<void> | undefined;
    const stop = (reason = "stop requested"): Promise<void> => stopping ??= shutdown(reason);
    const server = {
      stats: () => ({ uptimeMs: Date.now() - startedMs, lockouts: lockout.size, wire: opened.wire!.stats() }),
      requestShutdown: () => setTimeout(() => void stop("shutdown op"), 0),
    };
    opened.wire = WireServer.listen({ db, users, lockout, server }, {
      hostname: config.bind,
      port: config.ports.wire,
      tls,
      frameBytes: config.limits.frameBytes,
      connections: config.limits.connections,
      inFlightPerConnection: config.limits.inFlightPerConnection,
    });
    opened.http = serveNotYet(config.bind, config.ports.http, "app HTTP", "ports.http");
    opened.workbench = serveNotYet(config.bind, config.ports.workbench, "workbench", "ports.workbench");
    const ports = { wire: opened.wire.port, http: portOf(opened.http), workbench: portOf(opened.workbench) };
    const address = { hostname: connectHost(config.bind), port: ports.wire, tls: tls !== undefined };
    let adminConnection: string | null = null;
    if (adminKey !== null) {
      const info = { ...address, user: "admin", key: adminKey };
      adminConnection = formatConnectionString(info);
      const path = await writeCredentials(config.dataDir, info);
      log(`planck: first start: created user "admin"; its connection string is shown once and saved to "${path}":`);
      log(`planck: ${adminConnection}`);
    } else {
      await refreshCredentials(config.dataDir, address);
    }
    log(`planck: wire listening on ${config.bind}:${ports.wire}${tls ? " (TLS)" : ""}`);
    log(`planck: http listening on ${config.bind}:${ports.http} (not yet served)`);
    log(`planck: workbench listening on ${config.bind}:${ports.workbench} (not yet served)`);
    log(`planck: ready`);

    let finish!: () => void;
    const finished = new Promise<void>((resolve) => finish = resolve);
    const onSignal = () => void stop("signal");
    if (options.signals !== false) for (const signal of SIGNALS) Deno.addSignalListener(signal, onSignal);

    async function shutdown(reason: string): Promise<void> {
      log(`planck: stopping (${reason})`);
      if (options.signals !== false) for (const signal of SIGNALS) Deno.removeSignalListener(signal, onSignal);
      try {
        await closeListeners(opened, config.shutdown.drainTimeoutMs);
        await db.sync();
      } finally {
        await db.close();
        log("planck: stopped");
        finish();
      }
    }
    return { config, ports, adminConnection, stop, finished };
  } catch (error) {
    await closeListeners(opened, 0).catch(() => {});
    await db.close();
    throw error;
  }
}

/** Steps 1 and 2 of stopping: every port stops accepting, then the wire drains. */
async function closeListeners(
  opened: { wire?: WireServer; http?: Deno.HttpServer; workbench?: Deno.HttpServer },
  drainTimeoutMs: number,
): Promise<void> {
  const httpStopped = [opened.http?.shutdown(), opened.workbench?.shutdown()];
  await opened.wire?.stop(drainTimeoutMs);
  await Promise.all(httpStopped);
}

function portOf(server: Deno.HttpServer): number {
  return (server.addr as Deno.NetAddr).port;
}

/** A reserved port: answers every request with 503 until its issue lands. */
function serveNotYet(hostname: string, port: number, what: string, field: string): Deno.HttpServer {
  try {
    return Deno.serve({ hostname, port, onListen: () => {} }, () =>
      new Response(`Planck: the ${what} server is not available yet.\n`, {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
      }));
  } catch (error) {
    throw new PlanckError("unavailable", `Cannot listen on ${hostname}:${port} (${what}): ${(error as Error).message}`, {
      field,
    }, { cause: error });
  }
}

async function readTls(config: Config): Promise<{ cert: string; key: string } | undefined> {
  const { certFile, keyFile } = config.tls;
  if (certFile === null || keyFile === null) return undefined;
  const read = async (path: string, field: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new PlanckError("invalid_argument", `Cannot read ${field} "${path}": ${(error as Error).message}`, {
        field,
        file: path,
      });
    }
  };
  return { cert: await read(certFile, "tls.cert_file"), key: await read(keyFile, "tls.key_file") };
}
