/**
 * The primary's side of replication: answers `replicate` requests with the durable WAL groups after
 * the replica's LSN (engine/changes/wal_groups.ts) and lists the replicas it serves
 * (docs/replication.md, "Protocol").
 *
 * Invariants: a replica whose history ends in an older epoch gets groups only up to the LSN it
 * shares with this history, and is refused (`conflict`, diverged) when it holds LSNs past it; a
 * request from a newer epoch fences this server (its writes then fail with `not_leader`).
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type GroupRun, WalGroups } from "../../engine/changes/wal_groups.ts";
import { REPLICAS_LISTED_MAX } from "../limits.ts";
import { currentEpoch, type Epoch, sharedUpTo } from "./epoch.ts";

/** What a primary knows of one replica, from its latest request. */
export interface ReplicaSeen {
  name: string;
  user: string;
  remote: string;
  /** The replica's last applied LSN (the `since` of its latest request). */
  appliedLsn: number;
  /** The primary's durable LSN minus appliedLsn when the request came. */
  lagLsn: number;
  /** How long ago the primary appended the first group the replica did not have yet (0 when none). */
  lagMs: number;
  epoch: number;
  lastRequestMs: number;
}

/** A `replicate` request, checked. */
export interface ReplicateRequest {
  since: number;
  epoch: number;
  maxBytes: number;
  waitMs: number;
  name: string;
}

/** The primary's replication source. */
export class ReplicationSource {
  readonly #db: Database;
  readonly #groups: WalGroups;
  readonly #replicas = new Map<string, ReplicaSeen>();
  readonly #appendTimes: { lsn: number; ms: number }[] = [];

  constructor(db: Database) {
    this.#db = db;
    this.#groups = new WalGroups({
      segments: () => db.walSegments(),
      durableLsn: () => db.durableLsn,
      lastLsn: () => db.lastLsn,
      waitDurable: (lsn) => db.waitDurable(lsn),
    });
    db.onAppend = (bytes, firstLsn, lastLsn) => {
      this.#groups.record(bytes, firstLsn, lastLsn);
      this.#appendTimes.push({ lsn: firstLsn, ms: Date.now() });
      if (this.#appendTimes.length > 4096) this.#appendTimes.splice(0, 2048);
    };
  }

  /**
   * Serves one request. `fence` is called when the request comes from a newer epoch.
   * @throws PlanckError `not_leader` (fenced), `conflict` (diverged or ahead), `resume_point_lost`
   */
  async serve(
    request: ReplicateRequest,
    who: { user: string; remote: string },
    epochs: readonly Epoch[],
    fence: (epoch: number) => void,
  ): Promise<GroupRun> {
    const mine = currentEpoch(epochs);
    if (request.epoch > mine) {
      fence(request.epoch);
      throw new PlanckError(
        "not_leader",
        `This server is fenced: the replica follows epoch ${request.epoch}, newer than this server's ${mine}`,
        { field: "epoch" },
      );
    }
    const shared = sharedUpTo(epochs, request.epoch);
    if (request.since > shared) {
      throw new PlanckError(
        "conflict",
        `The replica diverged: it holds LSNs after ${shared} from epoch ${request.epoch}, which this primary ` +
          `replaced in a later epoch; rebuild the replica from a fresh data directory`,
        { field: "since", lsn: BigInt(shared) },
      );
    }
    if (request.since > this.#db.lastLsn) {
      throw new PlanckError(
        "conflict",
        `The replica is ahead of this primary (LSN ${request.since} > ${this.#db.lastLsn}): it follows another history`,
        { field: "since", lsn: BigInt(this.#db.lastLsn) },
      );
    }
    this.#note(request, who);
    // Everything up to `since` is shared; what follows comes from this history, which the response
    // hands over with the run, so the replica adopts it with the frames.
    return await this.#groups.read(request.since, { maxBytes: request.maxBytes, waitMs: request.waitMs });
  }

  /** The replicas seen, most recent first. */
  replicas(): ReplicaSeen[] {
    const durable = this.#db.durableLsn;
    return [...this.#replicas.values()].reverse().map((seen) => ({
      ...seen,
      lagLsn: Math.max(0, durable - seen.appliedLsn),
      lagMs: this.#lagMs(seen.appliedLsn),
    }));
  }

  #note(request: ReplicateRequest, who: { user: string; remote: string }): void {
    const id = `${request.name}@${who.remote}`;
    this.#replicas.delete(id);
    this.#replicas.set(id, {
      name: request.name,
      user: who.user,
      remote: who.remote,
      appliedLsn: request.since,
      lagLsn: Math.max(0, this.#db.durableLsn - request.since),
      lagMs: this.#lagMs(request.since),
      epoch: request.epoch,
      lastRequestMs: Date.now(),
    });
    while (this.#replicas.size > REPLICAS_LISTED_MAX) {
      this.#replicas.delete(this.#replicas.keys().next().value!);
    }
  }

  /** When this primary appended the first group after `lsn` (ms since the epoch), or 0 when none is known. */
  appendedAfter(lsn: number): number {
    return this.#appendTimes.find((entry) => entry.lsn > lsn)?.ms ?? 0;
  }

  /** Time since the primary appended the first group after `applied` (0 when the replica has everything). */
  #lagMs(applied: number): number {
    if (applied >= this.#db.durableLsn) return 0;
    const next = this.#appendTimes.find((entry) => entry.lsn > applied);
    return next === undefined ? 0 : Math.max(0, Date.now() - next.ms);
  }
}
