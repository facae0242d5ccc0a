/**
 * Automatic re-bootstrap of a replica (docs/replication.md, "Re-bootstrap"): a replica whose
 * primary no longer holds the WAL after the replica's LSN (`resume_point_lost`) cannot catch up by
 * streaming. The supervisor then copies a fresh consistent snapshot of the primary into
 * `<data>.bootstrap` while the running replica keeps serving its (older) data and the primary
 * keeps taking writes, stops the replica, swaps the directories and starts it again on the copy,
 * on the same ports, from where it streams on.
 *
 * Invariants: the running replica is stopped only once a whole copy is on disk; a crash between
 * the two renames leaves no data directory (the next start bootstraps from scratch), never a mix;
 * `finished` resolves only when the server stops for another reason than a swap; one re-bootstrap
 * runs at a time.
 */
import { parseConnectionString } from "../../client/mod.ts";
import type { Config } from "../config.ts";
import { LOG_FILE } from "../log_ring.ts";
import { copySnapshot, stagingDir } from "../replication/bootstrap.ts";

/** What the supervisor needs of a server (host/server/server.ts, PlanckServer). */
export interface SupervisedServer {
  readonly config: Config;
  readonly ports: { wire: number; http: number; workbench: number };
  readonly adminConnection: string | null;
  stop(reason?: string): Promise<void>;
  readonly finished: Promise<void>;
}

/** Starts one server; `onResumePointLost` is handed to its replication follower. */
export type StartOnce = (config: Config, onResumePointLost: () => void) => Promise<SupervisedServer>;

/** Starts a replica under a supervisor that re-bootstraps it on `resume_point_lost`. */
export async function superviseReplica(
  config: Config,
  startOnce: StartOnce,
  log: (line: string) => void,
): Promise<SupervisedServer> {
  const supervisor = new ReplicaSupervisor(config, startOnce, log);
  await supervisor.begin();
  return supervisor;
}

class ReplicaSupervisor implements SupervisedServer {
  readonly #startOnce: StartOnce;
  readonly #log: (line: string) => void;
  #config: Config;
  #inner!: SupervisedServer;
  #swapping: Promise<void> | null = null;
  #stopped = false;
  #finish!: () => void;
  readonly finished: Promise<void>;
  /** Re-bootstraps done (for status lines). */
  #rounds = 0;

  constructor(config: Config, startOnce: StartOnce, log: (line: string) => void) {
    this.#config = config;
    this.#startOnce = startOnce;
    this.#log = log;
    this.finished = new Promise<void>((resolve) => this.#finish = resolve);
  }

  async begin(): Promise<void> {
    this.#adopt(await this.#startOnce(this.#config, () => this.#onLost()));
  }

  get config(): Config {
    return this.#inner.config;
  }

  get ports(): { wire: number; http: number; workbench: number } {
    return this.#inner.ports;
  }

  get adminConnection(): string | null {
    return this.#inner.adminConnection;
  }

  async stop(reason?: string): Promise<void> {
    this.#stopped = true;
    await this.#swapping;
    await this.#inner.stop(reason);
    this.#finish();
  }

  #adopt(inner: SupervisedServer): void {
    this.#inner = inner;
    void inner.finished.then(() => {
      if (this.#inner === inner && this.#swapping === null) this.#finish();
    });
  }

  #onLost(): void {
    if (this.#swapping !== null || this.#stopped) return;
    this.#swapping = this.#rebootstrap().finally(() => this.#swapping = null);
  }

  async #rebootstrap(): Promise<void> {
    const dataDir = this.#config.dataDir.replace(/\/+$/, "");
    const staging = stagingDir(dataDir);
    const replicaOf = this.#config.replication.replicaOf!;
    this.#log(
      `planck: replica: copying a fresh snapshot of the primary into "${staging}" (reads are served from ` +
        `the old copy meanwhile)`,
    );
    let lsn: number;
    try {
      lsn = await copySnapshot(parseConnectionString(replicaOf), staging);
    } catch (error) {
      await Deno.remove(staging, { recursive: true }).catch(() => {});
      this.#log(
        `planck: replica: re-bootstrap copy failed (retried on the next refusal): ${
          (error as Error).message
        }`,
      );
      return;
    }
    if (this.#stopped) {
      await Deno.remove(staging, { recursive: true }).catch(() => {});
      return;
    }
    // The same ports again (where 0 was configured, the ones chosen at the first start).
    const ports = this.#inner.ports;
    this.#config = { ...this.#config, ports: { ...ports } };
    await this.#inner.stop("re-bootstrap from a fresh snapshot");
    await swapIn(dataDir, staging);
    try {
      this.#adopt(await this.#startOnce(this.#config, () => this.#onLost()));
    } catch (error) {
      this.#log(`planck: replica: cannot start again after the re-bootstrap: ${(error as Error).message}`);
      this.#finish();
      throw error;
    }
    this.#rounds++;
    this.#log(`planck: replica: re-bootstrapped (${this.#rounds}) as of LSN ${lsn}; streaming from there`);
  }
}

/** Replaces `dataDir` with the whole copy in `staging`, keeping the replica's own log file. */
async function swapIn(dataDir: string, staging: string): Promise<void> {
  const stale = `${dataDir}.stale`;
  await Deno.remove(stale, { recursive: true }).catch(() => {});
  await Deno.rename(dataDir, stale);
  await Deno.remove(`${staging}/${LOG_FILE}`).catch(() => {}); // the primary's log is not the replica's
  await Deno.rename(`${stale}/${LOG_FILE}`, `${staging}/${LOG_FILE}`).catch(() => {});
  await Deno.rename(staging, dataDir);
  await Deno.remove(stale, { recursive: true });
}
