/**
 * The replica's side of replication: a loop that asks the primary for the WAL groups after this
 * database's last LSN (`replicate`), checks them (CRC, consecutive LSNs, whole groups), applies them
 * at the primary's LSNs through the recovery code (engine/db/replicated.ts), makes them durable and
 * asks again (docs/replication.md, "Protocol").
 *
 * Invariants: only this loop writes to a replica's database; a group is applied at most once (a
 * resend at or below the last LSN changes nothing); frames from a primary whose epoch is older than
 * this replica's are refused before anything is applied (fencing); the primary's newer history is
 * persisted before the frames that came with it are applied; connection loss, a down primary or a
 * refusal never stops the loop (it retries with backoff and reports the error in `status()`).
 */
import type { Database } from "../../engine/db/database.ts";
import { applyReplicatedRun } from "../../engine/db/replicated.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { decodeGroups } from "../../engine/wal/group_bytes.ts";
import { type ConnectionInfo, WireTransport } from "../../client/mod.ts";
import { REPLICA_RETRY_MS_MAX, REPLICATE_BYTES_DEFAULT, REPLICATE_WAIT_MS_DEFAULT } from "../limits.ts";
import { checkEpochs, currentEpoch, type Epoch, writeEpochs } from "./epoch.ts";

/** What `status()` reports on a replica. */
export interface FollowerStatus {
  primary: string;
  connected: boolean;
  appliedLsn: number;
  /** The primary's durable LSN at its latest answer. */
  primaryLsn: number;
  lagLsn: number;
  /** How long ago (primary's clock) the primary appended the oldest group not applied here; 0 when caught up. */
  lagMs: number;
  groupsApplied: number;
  bytesReceived: number;
  lastContactMs: number | null;
  error: string | null;
}

/** Options of a follower. */
export interface FollowerOptions {
  dataDir: string;
  epochs: Epoch[];
  /** Identifies this replica in the primary's list. */
  name: string;
  log: (line: string) => void;
  /** Called after each applied batch with the ids of the stores its groups wrote. */
  onApplied?: (storeIds: Set<number>) => void;
  /**
   * Called on each `resume_point_lost` (the primary no longer holds the WAL after this replica's
   * LSN): the server then copies a fresh snapshot and restarts on it (host/server/replica_supervisor.ts).
   */
  onResumePointLost?: () => void;
  maxBytes?: number;
  waitMs?: number;
}

/** Replicates a primary into `db` until stopped. */
export class Follower {
  readonly #db: Database;
  readonly #info: ConnectionInfo;
  readonly #options: FollowerOptions;
  #epochs: Epoch[];
  #transport: WireTransport | null = null;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #caughtUp = Promise.withResolvers<void>();
  #status: FollowerStatus;
  /** Receive time and the primary's view at the latest answer, for lag in ms. */
  #last = { receivedMs: 0, primaryTimeMs: 0, oldestUnappliedMs: 0 };

  constructor(db: Database, info: ConnectionInfo, options: FollowerOptions) {
    this.#db = db;
    this.#info = info;
    this.#options = options;
    this.#epochs = options.epochs;
    this.#status = {
      primary: `${info.hostname}:${info.port}`,
      connected: false,
      appliedLsn: db.lastLsn,
      primaryLsn: 0,
      lagLsn: 0,
      lagMs: 0,
      groupsApplied: 0,
      bytesReceived: 0,
      lastContactMs: null,
      error: null,
    };
  }

  /** The primary's address ("host:port"). */
  get primary(): string {
    return this.#status.primary;
  }

  /** The epoch history this replica follows. */
  get epochs(): Epoch[] {
    return this.#epochs;
  }

  /** Starts the loop. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Resolves once an answer showed this replica holding everything the primary had durable then. */
  caughtUp(): Promise<void> {
    return this.#caughtUp.promise;
  }

  /** Stops the loop and waits for it (a batch being applied finishes first). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#transport?.close();
    await this.#loop;
    await this.#syncing;
  }

  status(): FollowerStatus {
    const applied = this.#db.lastLsn;
    const behind = applied < this.#status.primaryLsn;
    const lagMs = !behind || this.#last.oldestUnappliedMs === 0 ? 0 : Math.max(
      0,
      this.#last.primaryTimeMs + (Date.now() - this.#last.receivedMs) - this.#last.oldestUnappliedMs,
    );
    return {
      ...this.#status,
      appliedLsn: applied,
      lagLsn: Math.max(0, this.#status.primaryLsn - applied),
      lagMs,
    };
  }

  async #run(): Promise<void> {
    let retryMs = 25;
    let lastError = "";
    while (!this.#stopped) {
      try {
        await this.#round();
        retryMs = 25;
        lastError = "";
        this.#status.error = null;
      } catch (error) {
        this.#ahead = null; // asked over a connection or from a point this error may have spoiled
        if (this.#stopped) break;
        const message = (error as Error).message;
        this.#status.error = message;
        this.#status.connected = false;
        const code = (error as { code?: string }).code;
        if (message !== lastError) {
          const hint = code !== "resume_point_lost"
            ? ""
            : this.#options.onResumePointLost !== undefined
            ? " (bootstrapping again from a fresh snapshot of the primary)"
            : " (stop this replica, empty its data directory and start it again: it then bootstraps from a snapshot)";
          this.#options.log(`planck: replica: ${message}${hint}`);
        }
        if (code === "resume_point_lost") this.#options.onResumePointLost?.();
        lastError = message;
        if ((error as { code?: string }).code === "unavailable") {
          this.#transport?.close();
          this.#transport = null;
        }
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        retryMs = Math.min(REPLICA_RETRY_MS_MAX, retryMs * 2);
      }
    }
    this.#transport?.close();
  }

  /**
   * One answer and the groups it brought. The next request (after this answer's last LSN) goes out
   * before these groups are applied, so the primary reads and ships the next run while this one is
   * applied: at most two runs are in flight. It is used only if this round applied every group (the
   * database then ends at its `since`); otherwise it is dropped and the next round asks again.
   */
  async #round(): Promise<void> {
    const waitMs = this.#options.waitMs ?? REPLICATE_WAIT_MS_DEFAULT;
    this.#transport ??= await WireTransport.open(this.#info, {
      reconnect: false,
      connectTimeoutMs: 2_000,
      timeoutMs: waitMs + 30_000,
    });
    const since = this.#db.lastLsn;
    const ahead = this.#ahead;
    this.#ahead = null;
    const answer = await (ahead?.since === since ? ahead.answer : this.#ask(this.#transport, since));
    if (this.#stopped) return;
    this.#status.connected = true;
    this.#status.lastContactMs = Date.now();
    this.#adoptEpochs(answer);
    // The run as received, not copied: the wire client hands out each frame body as a fresh buffer
    // (protocol/frame.ts) and the binary is a view into it, which the memtable keeps.
    const bytes = binaryBytes(answer.frames);
    const groups = decodeGroups(bytes, since + 1);
    if (groups.length > 0) {
      const next = groups[groups.length - 1].commitLsn;
      this.#ahead = { since: next, answer: this.#ask(this.#transport, next) };
      this.#ahead.answer.catch(() => {}); // a failure counts when (and if) the next round uses it
    }
    const touched = new Set<number>();
    if (groups.length > 0 && !this.#stopped) {
      this.#status.groupsApplied += applyReplicatedRun(this.#db, bytes, groups);
      for (const group of groups) for (const frame of group.frames) touched.add(frame.storeId);
    }
    // No wait for this replica's own fsync: the groups are durable on the primary, change streams
    // here hand them out once written (the changesAtWrite option), and after a crash the replica
    // fetches what its WAL lost again. One background sync at a time covers what was written.
    if (groups.length > 0) this.#syncInBackground();
    this.#status.bytesReceived += bytes.length;
    this.#status.primaryLsn = Number(answer.primaryLsn);
    this.#last = {
      receivedMs: Date.now(),
      primaryTimeMs: Number(answer.primaryTimeMs),
      oldestUnappliedMs: Number(answer.nextAppendMs ?? 0),
    };
    if (touched.size > 0) this.#options.onApplied?.(touched);
    if (this.#db.lastLsn >= this.#status.primaryLsn) this.#caughtUp.resolve();
  }

  /** The request already sent for the run after `since` (see #round). */
  #ahead: { since: number; answer: Promise<ReplicateAnswer> } | null = null;

  /** Sends one `replicate` request for the groups after `since`. */
  #ask(transport: WireTransport, since: number): Promise<ReplicateAnswer> {
    const waitMs = this.#options.waitMs ?? REPLICATE_WAIT_MS_DEFAULT;
    return transport.request("replicate", {
      since,
      epoch: currentEpoch(this.#epochs),
      maxBytes: this.#options.maxBytes ?? REPLICATE_BYTES_DEFAULT,
      waitMs,
      name: this.#options.name,
    }) as Promise<ReplicateAnswer>;
  }

  #syncing: Promise<void> | null = null;

  #syncInBackground(): void {
    if (this.#syncing !== null) return;
    this.#syncing = this.#db.sync().catch((error) => {
      this.#status.error = `WAL sync failed: ${(error as Error).message}`;
      this.#options.log(`planck: replica: ${this.#status.error}`);
    }).finally(() => {
      this.#syncing = null;
      if (this.#db.durableLsn < this.#db.lastLsn && !this.#stopped) this.#syncInBackground();
    });
  }

  /** Fencing: refuses an older epoch; persists a newer history before its frames are applied. */
  #adoptEpochs(answer: ReplicateAnswer): void {
    const theirs = Number(answer.epoch);
    const mine = currentEpoch(this.#epochs);
    if (theirs < mine) {
      throw new PlanckError(
        "not_leader",
        `Refusing frames from epoch ${theirs}: this replica already follows epoch ${mine} (the primary was replaced)`,
        { field: "epoch" },
      );
    }
    if (theirs === mine) return;
    const epochs = (answer.epochs ?? []).map((e) => ({
      epoch: Number(e.epoch),
      startLsn: Number(e.startLsn),
    }));
    checkEpochs(epochs);
    if (currentEpoch(epochs) !== theirs) {
      throw new PlanckError("invalid_argument", "Epoch history does not end in the epoch");
    }
    writeEpochs(this.#options.dataDir, epochs);
    this.#epochs = epochs;
    this.#options.log(`planck: replica: now follows epoch ${theirs}`);
  }
}

/** The result of `replicate` (docs/wire-protocol.md). */
interface ReplicateAnswer {
  frames: unknown;
  firstLsn: number;
  lastLsn: number;
  groups: number;
  primaryLsn: number;
  primaryTimeMs: number;
  nextAppendMs?: number;
  epoch: number;
  epochs?: { epoch: number; startLsn: number }[];
}

/**
 * The bytes of a BSON binary as the client decodes it, as a plain Uint8Array view (bson hands out a
 * node Buffer, whose `subarray` — one per decoded frame field — is several times slower).
 */
function binaryBytes(value: unknown): Uint8Array {
  const plain = (b: Uint8Array, length: number) => new Uint8Array(b.buffer, b.byteOffset, length);
  if (value instanceof Uint8Array) return plain(value, value.length);
  const binary = value as { buffer?: Uint8Array; position?: number } | null;
  if (binary?.buffer instanceof Uint8Array) {
    return plain(binary.buffer, binary.position ?? binary.buffer.length);
  }
  throw new PlanckError("invalid_argument", 'The primary sent no "frames" bytes', { field: "frames" });
}
