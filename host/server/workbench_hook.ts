/**
 * What the host hands the workbench (workbench/ builds the handler; host/ may not import it, so
 * the CLI passes a factory to `startServer`): the running parts, and the handler it gets back,
 * served on the workbench port with the wire port's TLS.
 *
 * Invariants: the parts are the live ones of this process (no copies); the handler is called for
 * every request on the workbench port and must itself authenticate every one.
 */
import type { Database } from "../../engine/db/database.ts";
import type { Users } from "../auth.ts";
import type { Config } from "../config_keys.ts";
import type { Lockout } from "../lockout.ts";
import type { Scheduler } from "../schedule/scheduler.ts";
import type { LogRing } from "../log_ring.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import type { ReplicationControl, ServerControl } from "../wire/request.ts";

/** The running server's parts the workbench uses. */
export interface WorkbenchParts {
  config: Config;
  /** Where each config key's value came from ("default", a file line or a flag), by dotted key. */
  configSources: ReadonlyMap<string, string>;
  db: Database;
  users: Users;
  lockout: Lockout;
  services: ServiceRegistry;
  server: ServerControl;
  logs: LogRing;
  /** Replication of this server (its role, replicas and lag). */
  replication?: ReplicationControl;
  /** The scheduler, while one runs (a primary; a replica gets one when promoted). */
  readonly scheduler?: Scheduler;
  /** The data directory (backups go beside it by default). */
  dataDir: string;
  /** Process start time (ms since the epoch). */
  startedMs: number;
  /** Bound ports (filled once every port listens). */
  ports(): { wire: number; http: number; workbench: number };
}

/** Answers one request on the workbench port. */
export type WorkbenchHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** Builds the workbench handler once the parts exist; `close` runs when the server stops. */
export type WorkbenchFactory = (parts: WorkbenchParts) => { handler: WorkbenchHandler; close(): void };
