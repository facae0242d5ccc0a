/**
 * The Planck process: the engine, the wire server, the app HTTP port (deployed wasm services,
 * host/http), the workbench listener (the handler comes from workbench/ through
 * `StartOptions.workbench`; without one the port answers 503), the server log (host/log_ring.ts:
 * a bounded ring plus `<data>/planck.log`) and signal handling.
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
import { type Database, openDatabase } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { formatConnectionString, parseConnectionString } from "../../client/mod.ts";
import { ADMIN_USER, Users } from "../auth.ts";
import type { Config } from "../config.ts";
import { connectHost, refreshCredentials, writeCredentials } from "../credentials.ts";
import { Lockout } from "../lockout.ts";
import type { OpContext, ServerControl } from "../wire/request.ts";
import { WireServer } from "../wire/server.ts";
import { serveApp } from "../http/server.ts";
import { guardPort, requestIds } from "../http/request_guard.ts";
import { ServiceRegistry } from "../services/registry.ts";
import { EventHub } from "../live/hub.ts";
import { SubscriptionManager } from "../live/subscriptions.ts";
import { levelOf, LOG_FILE, LogRing, redactKeys, sourceOf } from "../log_ring.ts";
import { configSources } from "../config.ts";
import type { WorkbenchFactory } from "./workbench_hook.ts";
import { Replication } from "../replication/mod.ts";
import { bootstrapFromPrimary, isEmptyDir } from "../replication/bootstrap.ts";
import { WalArchive } from "../../engine/wal/archive.ts";
import { USERS_STORE } from "../auth.ts";
import { SERVICES_STORE } from "../services/registry.ts";
import { releaseBackups } from "../wire/ops_backup.ts";
import { Scheduler } from "../schedule/scheduler.ts";
import { syncServiceSchedules } from "../schedule/service_schedules.ts";
import { superviseReplica } from "./replica_supervisor.ts";

/**
 * Where a server's group commit runs fdatasync: on the thread pool ("async"), so the event loop
 * keeps answering requests and gathers the next group while a sync runs; "inline" would stop every
 * request for the length of each sync.
 */
export const SERVER_SYNC_METHOD = "async" as const;

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
  /** Open despite a corrupt WAL, reporting what was given up (`planck start --salvage`). */
  salvage?: boolean;
  /** Builds the workbench served on `ports.workbench` (without it that port answers 503). */
  workbench?: WorkbenchFactory;
  /** Keeps the log ring only (no `<data>/planck.log`); tests set it. */
  noLogFile?: boolean;
  /** On a replica: called on `resume_point_lost` (set by host/server/replica_supervisor.ts). */
  onResumePointLost?: () => void;
}

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

interface Listeners {
  wire?: WireServer;
  http?: Deno.HttpServer;
  workbench?: Deno.HttpServer;
}

/**
 * Starts Planck with `config`; a replica runs under a supervisor that re-bootstraps it from a fresh
 * snapshot when its primary no longer holds the WAL it needs (host/server/replica_supervisor.ts).
 * @throws PlanckError when the data dir is locked or a port cannot be bound
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<PlanckServer> {
  if (config.replication.replicaOf === null) return await startOnce(config, options);
  return await superviseReplica(
    config,
    (once, onResumePointLost) => startOnce(once, { ...options, onResumePointLost }),
    options.log ?? ((line: string) => console.log(line)),
  );
}

async function startOnce(config: Config, options: StartOptions): Promise<PlanckServer> {
  const print = options.log ?? ((line: string) => console.log(line));
  const logs = new LogRing();
  const log = (line: string) => {
    logs.add(levelOf(line), redactKeys(line), sourceOf(line)); // keys stay on the console only
    print(line);
  };
  const tls = await readTls(config);
  if (config.replication.replicaOf !== null && await isEmptyDir(config.dataDir)) {
    log(`planck: replica: empty data directory: copying a consistent snapshot of the primary`);
    const lsn = await bootstrapFromPrimary(
      parseConnectionString(config.replication.replicaOf),
      config.dataDir,
    );
    log(`planck: replica: copied the primary as of LSN ${lsn}; streaming from there`);
  }
  const archive = config.archive.dir === null ? undefined : new WalArchive({
    dir: config.archive.dir,
    retentionBytes: config.archive.retentionBytes,
    retentionAgeMs: config.archive.retentionAgeMs,
    log,
  });
  const changesAtWrite = { on: config.replication.replicaOf !== null }; // off again at promote
  const db = await openDatabase(config.dataDir, {
    segmentSink: archive?.sink,
    durability: config.durability,
    // A server has many requests in flight: the group's fdatasync runs on the thread pool so the
    // event loop keeps serving (and gathering the next group) while it runs (docs/benchmarks.md).
    syncMethod: SERVER_SYNC_METHOD,
    walSegmentBytes: config.walSegmentBytes,
    memtableBytes: config.memtableBytes,
    changesRetention: config.changes.retention,
    salvage: options.salvage === true,
    // A replica: its groups are durable on the primary, so its change streams need not wait for
    // its own fsync, which runs on the thread pool (reads go on meanwhile); docs/replication.md.
    ...(config.replication.replicaOf === null ? {} : { changesAtWrite, syncMethod: "async" as const }),
  });
  archive?.startClock(() => db.durableLsn);
  const listeners: Listeners = {};
  let adminKey: string | null = null;
  let replication: Replication | undefined;
  let announced = false;
  try {
    if (options.noLogFile !== true) logs.attachFile(`${config.dataDir}/${LOG_FILE}`);
    const r = db.recovery;
    if (r.lost !== null) {
      log(
        `planck: SALVAGE: gave up ${r.lost.bytes} bytes of WAL from "${r.lost.file}" offset ${r.lost.offset} ` +
          `(${r.lost.reason}); ${r.lost.segments.length} later segment(s); moved to "${r.lost.movedTo}"`,
      );
    }
    log(
      `planck: data directory "${config.dataDir}" open (recovered ${r.groups} groups up to LSN ${r.lastLsn})`,
    );
    const hooks: { users?: Users; services?: ServiceRegistry; promoted?: () => Promise<void> } = {};
    replication = Replication.open(db, {
      dataDir: config.dataDir,
      replicaOf: config.replication.replicaOf,
      log,
      onPromoted: () => hooks.promoted?.(),
      onResumePointLost: options.onResumePointLost,
      changesAtWrite,
      onApplied: (storeIds) => {
        if (db.hasStore(USERS_STORE) && storeIds.has(db.storeInfo(USERS_STORE).id)) hooks.users?.invalidate();
        if (db.hasStore(SERVICES_STORE) && storeIds.has(db.storeInfo(SERVICES_STORE).id)) {
          void hooks.services?.reload();
        }
      },
    });
    if (replication.role === "replica" && !(db.hasStore(USERS_STORE) && db.hasStore(SERVICES_STORE))) {
      log(`planck: replica: waiting for the first copy of the primary's data (${db.leader})`);
      await replication.caughtUp();
    }
    const users = await Users.open(db);
    if (replication.role === "primary") adminKey = await users.bootstrap();
    const lockout = newLockout(config);
    const services = await ServiceRegistry.open(db, {
      log,
      deadlineMs: config.services.deadlineMs,
      memoryBytes: config.services.memoryBytes,
    });
    hooks.users = users;
    hooks.services = services;
    const running = new RunningServer(config, { db, listeners, lockout, log }, options.signals !== false);
    running.services = services;
    running.logs = logs;
    const events = config.sse.enabled ? new EventHub(db, services, log) : undefined;
    if (events !== undefined) services.metricSources.set("sse", () => events.stats());
    // Subscription handlers write, so they run on a primary only (a promoted replica starts them).
    const startSubscriptions = async () => {
      const subscriptions = await SubscriptionManager.start(db, services, log);
      services.metricSources.set("subscriptions", () => subscriptions.stats());
      running.subscriptions = subscriptions;
    };
    // The scheduler writes its stores and runs chores: on a primary only too (docs/operations.md).
    const startScheduler = async () => {
      const started = await Scheduler.open(db, { dataDir: config.dataDir, log });
      await started.start();
      running.scheduler = started;
      // A service's own schedules follow its deploys (host/schedule/service_schedules.ts), one sync at a time.
      let syncing = syncServiceSchedules(started, services.manifests(), config.dataDir, log);
      await syncing;
      services.onChange.add(() => {
        if (started.closed || db.closed) return;
        syncing = syncing.then(() =>
          started.closed
            ? undefined
            : syncServiceSchedules(started, services.manifests(), config.dataDir, log)
        )
          .catch((error) => log(`planck: syncing service schedules failed: ${(error as Error).message}`));
      });
    };
    if (replication.role === "primary") {
      await startSubscriptions();
      await startScheduler();
    } else {
      hooks.promoted = async () => {
        await startSubscriptions();
        await startScheduler();
      };
    }
    listen(config, listeners, tls, {
      db,
      users,
      lockout,
      server: running.control,
      services,
      replication,
      get scheduler() {
        return running.scheduler;
      },
    }, {
      services,
      events,
    });
    running.replication = replication;
    services.metricSources.set("replication", () => replication!.status());
    if (archive !== undefined) services.metricSources.set("archive", () => archive.status());
    running.archive = archive;
    if (replication.role === "replica") log(`planck: ${db.leader}: serving reads, writes answer not_leader`);
    const workbench = options.workbench?.({
      config,
      configSources: configSources(config),
      db,
      users,
      lockout,
      services,
      server: running.control,
      logs,
      replication,
      get scheduler() {
        return running.scheduler;
      },
      dataDir: config.dataDir,
      startedMs: running.startedMs,
      ports: () => running.ports,
    });
    running.closeWorkbench = workbench?.close;
    listeners.workbench = workbench === undefined
      ? serveNotYet(config.bind, config.ports.workbench, "workbench", "ports.workbench")
      : serveHandler(
        config.bind,
        config.ports.workbench,
        tls,
        guardPort(workbench.handler, config.limits.httpBodyTimeoutMs, requestIds()),
      );
    const address = {
      hostname: connectHost(config.bind),
      port: listeners.wire!.port,
      tls: tls !== undefined,
    };
    running.adminConnection = await announce(config, address, adminKey, { log, print });
    announced = true;
    log(`planck: wire listening on ${config.bind}:${running.ports.wire}${tls ? " (TLS)" : ""}`);
    log(`planck: http listening on ${config.bind}:${running.ports.http}`);
    const scheme = tls === undefined ? "http" : "https";
    const url = `${scheme}://${hostForUrl(connectHost(config.bind))}:${running.ports.workbench}/`;
    if (workbench === undefined) {
      log(`planck: workbench listening on ${config.bind}:${running.ports.workbench} (not served)`);
    } else {
      log(`planck: workbench listening on ${config.bind}:${running.ports.workbench}${tls ? " (TLS)" : ""}`);
      if (adminKey === null) {
        log(
          `planck: workbench: open ${url} and log in with your user and key ("admin"'s is in "${config.dataDir}/admin.credentials")`,
        );
      } else {
        // The key goes to the terminal only, never into the log ring or planck.log.
        log(`planck: workbench: open ${url} and log in as "admin" with the key shown above`);
        print(`planck: workbench: log in as "admin" with the key ${adminKey}`);
      }
    }
    log(`planck: ready`);
    return running;
  } catch (error) {
    // A first start that fails after creating the admin (a port in use) still saves and prints its
    // key, so the next start does not find an admin nobody can log in as.
    if (adminKey !== null && !announced) {
      // The wire port may not be bound yet; the next start refreshes the saved one.
      const port = listeners.wire?.port || config.ports.wire || WIRE_PORT_PLACEHOLDER;
      const address = { hostname: connectHost(config.bind), port, tls: tls !== undefined };
      await announce(config, address, adminKey, { log, print }).catch(() => {});
    }
    await closeListeners(listeners, 0).catch(() => {});
    await replication?.stop();
    archive?.stopClock();
    await db.close();
    logs.close();
    throw error;
  }
}

/** Port saved for a failed first start that never bound its wire port (0 cannot be saved). */
const WIRE_PORT_PLACEHOLDER = 23469;

/** The running process: ports, signals and the stop procedure. */
class RunningServer implements PlanckServer {
  readonly config: Config;
  adminConnection: string | null = null;
  /** Deployed services (closed after the listeners stop). */
  services: ServiceRegistry | undefined;
  /** The scheduler (closed, waiting for running tasks, before the database). */
  scheduler: Scheduler | undefined;
  /** Service subscriptions (stopped before the services close). */
  subscriptions: SubscriptionManager | undefined;
  /** The server log (closed last). */
  logs: LogRing | undefined;
  /** The WAL archive, or undefined. */
  archive: WalArchive | undefined;
  /** Replication (stopped before the database closes). */
  replication: Replication | undefined;
  /** Stops the workbench's background work (SSE streams, samplers). */
  closeWorkbench: (() => void) | undefined;
  readonly startedMs = Date.now();
  readonly finished: Promise<void>;
  /** What ops may ask of the server. */
  readonly control: ServerControl;
  readonly #db: Database;
  readonly #listeners: Listeners;
  readonly #log: (line: string) => void;
  readonly #signals: boolean;
  readonly #onSignal = () => void this.stop("signal");
  #finish!: () => void;
  #stopping: Promise<void> | undefined;

  constructor(
    config: Config,
    parts: { db: Database; listeners: Listeners; lockout: Lockout; log: (line: string) => void },
    signals: boolean,
  ) {
    this.config = config;
    this.#db = parts.db;
    this.#listeners = parts.listeners;
    this.#log = parts.log;
    this.#signals = signals;
    this.finished = new Promise<void>((resolve) => this.#finish = resolve);
    const lockout = parts.lockout;
    this.control = {
      stats: () => ({
        uptimeMs: Date.now() - this.startedMs,
        lockouts: lockout.size,
        ports: this.ports,
        wire: this.#listeners.wire?.stats(),
        services: this.services?.metrics(),
        replication: this.replication?.status(),
        archive: this.archive?.status(),
      }),
      requestShutdown: () => void setTimeout(() => void this.stop("shutdown op"), 0),
    };
    if (signals) { for (const signal of SIGNALS) Deno.addSignalListener(signal, this.#onSignal); }
  }

  get ports(): { wire: number; http: number; workbench: number } {
    const { wire, http, workbench } = this.#listeners;
    return { wire: wire?.port ?? 0, http: portOf(http), workbench: portOf(workbench) };
  }

  stop(reason = "stop requested"): Promise<void> {
    this.#stopping ??= this.#shutdown(reason);
    return this.#stopping;
  }

  async #shutdown(reason: string): Promise<void> {
    this.#log(`planck: stopping (${reason})`);
    if (this.#signals) { for (const signal of SIGNALS) Deno.removeSignalListener(signal, this.#onSignal); }
    try {
      this.closeWorkbench?.();
      await this.replication?.stop();
      await closeListeners(this.#listeners, this.config.shutdown.drainTimeoutMs);
      this.subscriptions?.close();
      await this.scheduler?.close();
      await this.services?.close();
      await this.#db.sync();
      this.archive?.stopClock(this.#db.durableLsn);
      await this.archive?.idle();
    } finally {
      await releaseBackups(this.#db);
      await this.#db.close();
      this.#log("planck: stopped");
      this.logs?.close();
      this.#finish();
    }
  }
}

function newLockout(config: Config): Lockout {
  const { lockoutFailures, lockoutBaseMs, lockoutMaxMs } = config.security;
  return new Lockout({ failures: lockoutFailures, baseMs: lockoutBaseMs, maxMs: lockoutMaxMs });
}

/** Binds every port (filling `listeners` as it goes, so a failure can close what was opened). */
function listen(
  config: Config,
  listeners: Listeners,
  tls: TlsFiles | undefined,
  ctx: OpContext,
  app: { services: ServiceRegistry; events?: EventHub },
): void {
  listeners.wire = WireServer.listen(ctx, {
    hostname: config.bind,
    port: config.ports.wire,
    tls,
    frameBytes: config.limits.frameBytes,
    connections: config.limits.connections,
    inFlightPerConnection: config.limits.inFlightPerConnection,
    unauthenticatedPerAddress: config.limits.unauthenticatedPerAddress,
  });
  listeners.http = serveApp(app.services, {
    hostname: config.bind,
    port: config.ports.http,
    admin: { users: ctx.users, lockout: ctx.lockout },
    events: app.events,
    bodyTimeoutMs: config.limits.httpBodyTimeoutMs,
  });
}

/** First start: saves and prints the admin connection string (returned); later: refreshes the saved address. */
async function announce(
  config: Config,
  address: { hostname: string; port: number; tls: boolean },
  adminKey: string | null,
  out: { log: (line: string) => void; print: (line: string) => void },
): Promise<string | null> {
  if (adminKey === null) {
    await refreshCredentials(config.dataDir, address);
    return null;
  }
  const info = { ...address, user: ADMIN_USER, key: adminKey };
  const path = await writeCredentials(config.dataDir, info);
  const connection = formatConnectionString(info);
  out.log(
    `planck: first start: created user "admin"; its connection string is shown once and saved to "${path}":`,
  );
  // Printed to the terminal only: never into the log ring or planck.log, which keep no keys.
  out.print(`planck: ${connection}`);
  return connection;
}

/** Steps 1 and 2 of stopping: every port stops accepting, then the wire drains. */
async function closeListeners(listeners: Listeners, drainTimeoutMs: number): Promise<void> {
  const httpStopped = [listeners.http?.shutdown(), listeners.workbench?.shutdown()];
  await listeners.wire?.stop(drainTimeoutMs);
  await Promise.all(httpStopped);
}

function portOf(server: Deno.HttpServer | undefined): number {
  return server === undefined ? 0 : (server.addr as Deno.NetAddr).port;
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** Serves `handler` on the workbench port, with TLS when the wire port has it. */
function serveHandler(
  hostname: string,
  port: number,
  tls: TlsFiles | undefined,
  handler: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>,
): Deno.HttpServer {
  try {
    const options = { hostname, port, onListen: () => {} };
    return Deno.serve(tls === undefined ? options : { ...options, cert: tls.cert, key: tls.key }, handler);
  } catch (error) {
    throw new PlanckError(
      "unavailable",
      `Cannot listen on ${hostname}:${port} (workbench): ${(error as Error).message}`,
      { field: "ports.workbench" },
      { cause: error },
    );
  }
}

/** A reserved port: answers every request with 503 until its issue lands. */
function serveNotYet(hostname: string, port: number, what: string, field: string): Deno.HttpServer {
  try {
    return Deno.serve(
      { hostname, port, onListen: () => {} },
      () =>
        new Response(`Planck: the ${what} server is not available yet.\n`, {
          status: 503,
          headers: { "content-type": "text/plain; charset=utf-8" },
        }),
    );
  } catch (error) {
    throw new PlanckError(
      "unavailable",
      `Cannot listen on ${hostname}:${port} (${what}): ${(error as Error).message}`,
      {
        field,
      },
      { cause: error },
    );
  }
}

interface TlsFiles {
  cert: string;
  key: string;
}

async function readTls(config: Config): Promise<TlsFiles | undefined> {
  const { certFile, keyFile } = config.tls;
  if (certFile === null || keyFile === null) return undefined;
  const read = async (path: string, field: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new PlanckError(
        "invalid_argument",
        `Cannot read ${field} "${path}": ${(error as Error).message}`,
        {
          field,
          file: path,
        },
      );
    }
  };
  return { cert: await read(certFile, "tls.cert_file"), key: await read(keyFile, "tls.key_file") };
}
