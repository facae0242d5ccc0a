/**
 * Replication on one server (docs/replication.md): its role (primary, replica or fenced), its epoch
 * history, the source that serves replicas and, on a replica, the follower that streams from the
 * primary. The `replicate` and `promote` ops and the status in `stats`, `planck status` and
 * `/_planck/metrics` come through here.
 *
 * Invariants: a replica's and a fenced server's database refuses local writes (`not_leader` naming
 * where writes go); promotion stops the follower before it appends the new epoch and persists it
 * before the database accepts writes; a replica never serves `replicate` (no chains).
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { parseConnectionString } from "../../client/mod.ts";
import { currentEpoch, type Epoch, readEpochs, writeEpochs } from "./epoch.ts";
import { Follower, type FollowerStatus } from "./follower.ts";
import { type ReplicaSeen, type ReplicateRequest, ReplicationSource } from "./source.ts";

/** A server's replication role. */
export type ReplicationRole = "primary" | "replica" | "fenced";

/** What `status()` reports. */
export interface ReplicationStatus {
  role: ReplicationRole;
  epoch: number;
  epochs: Epoch[];
  lsn: number;
  /** On a replica: its primary and lag. */
  replica?: FollowerStatus;
  /** On a primary: the replicas it has served. */
  replicas?: ReplicaSeen[];
  fencedBy?: number;
}

/** Options of `Replication.open`. */
export interface ReplicationOptions {
  dataDir: string;
  /** The primary's connection string (a user with the `replication` role), or null on a primary. */
  replicaOf: string | null;
  log: (line: string) => void;
  /** Called once this replica was promoted and accepts writes. */
  onPromoted?: () => Promise<void> | void;
  /** Called on a replica after groups that wrote these stores were applied. */
  onApplied?: (storeIds: Set<number>) => void;
  /** Called on a replica when the primary no longer holds the WAL it needs (re-bootstrap). */
  onResumePointLost?: () => void;
  /** The database's `changesAtWrite` option: switched off at promotion. */
  changesAtWrite?: { on: boolean };
}

/** Replication of one server. */
export class Replication {
  readonly #db: Database;
  readonly #options: ReplicationOptions;
  readonly source: ReplicationSource;
  #epochs: Epoch[];
  #role: ReplicationRole;
  #follower: Follower | null = null;
  #fencedBy: number | undefined;

  private constructor(db: Database, options: ReplicationOptions) {
    this.#db = db;
    this.#options = options;
    this.source = new ReplicationSource(db);
    this.#epochs = readEpochs(options.dataDir);
    this.#role = options.replicaOf === null ? "primary" : "replica";
  }

  /** Sets up replication for `db`; on a replica, starts following the primary. */
  static open(db: Database, options: ReplicationOptions): Replication {
    const replication = new Replication(db, options);
    if (options.replicaOf !== null) {
      let info;
      try {
        info = parseConnectionString(options.replicaOf);
      } catch (error) {
        throw new PlanckError(
          "invalid_argument",
          `Invalid replication.replica_of: ${(error as Error).message}`,
          {
            field: "replication.replica_of",
          },
        );
      }
      const follower = new Follower(db, info, {
        dataDir: options.dataDir,
        epochs: replication.#epochs,
        name: `${Deno.hostname()}:${options.dataDir}`,
        log: options.log,
        onApplied: options.onApplied,
        onResumePointLost: options.onResumePointLost,
      });
      replication.#follower = follower;
      db.leader = `replica of ${follower.primary}`;
      follower.start();
    }
    return replication;
  }

  get role(): ReplicationRole {
    return this.#role;
  }

  /** On a replica: resolves once it holds what the primary had when it first answered. */
  caughtUp(): Promise<void> {
    return this.#follower?.caughtUp() ?? Promise.resolve();
  }

  /** The `replicate` op. @throws PlanckError `not_leader` on a replica or fenced server */
  async replicate(request: ReplicateRequest, who: { user: string; remote: string }): Promise<unknown> {
    if (this.#role !== "primary") {
      throw new PlanckError("not_leader", `Cannot serve replicas: this server is ${this.#describe()}`, {
        field: "primary",
      });
    }
    const run = await this.source.serve(request, who, this.#epochs, (epoch) => this.#fence(epoch));
    return {
      frames: run.bytes,
      firstLsn: run.firstLsn,
      lastLsn: run.lastLsn,
      groups: run.groups,
      primaryLsn: this.#db.durableLsn,
      primaryTimeMs: Date.now(),
      nextAppendMs: this.source.appendedAfter(run.lastLsn),
      epoch: currentEpoch(this.#epochs),
      epochs: this.#epochs,
    };
  }

  /**
   * Turns this replica into a primary: stops following, starts a new epoch right after its last LSN
   * (persisted), then accepts writes.
   * @throws PlanckError `conflict` when this server is not a replica
   */
  async promote(): Promise<{ epoch: number; startLsn: number; primary: string }> {
    if (this.#role !== "replica") {
      throw new PlanckError("conflict", `Cannot promote: this server is ${this.#describe()}, not a replica`);
    }
    const follower = this.#follower!;
    await follower.stop();
    await this.#db.sync();
    if (this.#options.changesAtWrite) this.#options.changesAtWrite.on = false; // own writes: durable first
    const epochs = follower.epochs;
    const next = { epoch: currentEpoch(epochs) + 1, startLsn: this.#db.lastLsn + 1 };
    writeEpochs(this.#options.dataDir, [...epochs, next]);
    this.#epochs = [...epochs, next];
    this.#follower = null;
    this.#role = "primary";
    this.#db.leader = null;
    await this.#options.onPromoted?.();
    this.#options.log(
      `planck: promoted to primary: epoch ${next.epoch} starts at LSN ${next.startLsn} (was a replica of ${follower.primary})`,
    );
    return { ...next, primary: follower.primary };
  }

  status(): ReplicationStatus {
    const epochs = this.#follower?.epochs ?? this.#epochs;
    const out: ReplicationStatus = {
      role: this.#role,
      epoch: currentEpoch(epochs),
      epochs,
      lsn: this.#db.lastLsn,
    };
    if (this.#follower !== null) out.replica = this.#follower.status();
    else out.replicas = this.source.replicas();
    if (this.#fencedBy !== undefined) out.fencedBy = this.#fencedBy;
    return out;
  }

  /** Stops following (the server is stopping). */
  async stop(): Promise<void> {
    await this.#follower?.stop();
  }

  #fence(epoch: number): void {
    if (this.#role === "fenced") return;
    this.#role = "fenced";
    this.#fencedBy = epoch;
    this.#db.leader = `fenced: a replica follows epoch ${epoch}, newer than this server's`;
    this.#options.log(
      `planck: FENCED: a replica follows epoch ${epoch}; this server (epoch ${currentEpoch(this.#epochs)}) ` +
        `refuses writes from now on (docs/replication.md, "Fencing")`,
    );
  }

  #describe(): string {
    if (this.#role === "replica") return `a replica of ${this.#follower!.primary}`;
    if (this.#role === "fenced") return `fenced by epoch ${this.#fencedBy}`;
    return "the primary";
  }
}
