/**
 * Group commit: many writers, one fdatasync. A writer appends its group to the WAL (a synchronous
 * write into the page cache) and awaits `waitDurable(lsn)`; the syncer runs one `syncData` covering
 * every group appended before it started, then acknowledges all of them at once. Writers that
 * arrive during a sync are covered by the next one, which starts as soon as the current one ends.
 *
 * Invariants: `durableLsn <= writtenLsn`; a waiter is resolved only after a sync that started after
 * its group was written; once a sync fails every later wait fails (the page cache state is unknown:
 * fsync errors are not retried — see "fsyncgate").
 */
import { setImmediate } from "node:timers";
import { assert } from "../assert.ts";
import { PlanckError } from "../../protocol/errors.ts";

interface Waiter {
  lsn: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Runs the syncs for one WAL. `sync` makes every byte written so far durable. */
export class GroupCommit {
  readonly #sync: () => Promise<void> | void;
  #writtenLsn: number;
  #durableLsn: number;
  #waiters: Waiter[] = [];
  #running = false;
  #failure: Error | null = null;
  #syncs = 0;
  #idle: (() => void)[] = [];

  /** `sync` may be asynchronous (the thread pool syncs) or synchronous (the event loop waits for it). */
  constructor(lsn: number, sync: () => Promise<void> | void) {
    this.#writtenLsn = lsn;
    this.#durableLsn = lsn;
    this.#sync = sync;
  }

  get writtenLsn(): number {
    return this.#writtenLsn;
  }
  get durableLsn(): number {
    return this.#durableLsn;
  }
  /** Syncs run so far (the bench reports commits per sync). */
  get syncs(): number {
    return this.#syncs;
  }
  get failure(): Error | null {
    return this.#failure;
  }

  /** Records that the WAL now holds everything up to `lsn` (not yet durable). */
  written(lsn: number): void {
    assert(lsn >= this.#writtenLsn, "written LSNs never go back");
    this.#writtenLsn = lsn;
  }

  /** Resolves once every frame up to `lsn` is on stable storage. */
  waitDurable(lsn: number): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (lsn <= this.#durableLsn) return Promise.resolve();
    assert(lsn <= this.#writtenLsn, "a writer waits only for LSNs it wrote");
    return new Promise((resolve, reject) => {
      this.#waiters.push({ lsn, resolve, reject });
      this.#schedule();
    });
  }

  /** Starts a sync now if anything is unsynced (the interval timer and close use it). */
  syncNow(): Promise<void> {
    return this.waitDurable(this.#writtenLsn);
  }

  /**
   * Records a sync that failed outside the syncer (the WAL syncs a segment it seals): every waiter
   * and every later wait fail, as after a failed group sync. Returns the failure to throw.
   */
  fail(error: unknown): Error {
    if (this.#failure === null) this.#fail(error);
    return this.#failure!;
  }

  /** Resolves when no sync is running. */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#running) return;
    this.#running = true;
    // Wait one turn of the event loop so every writer that is ready in this turn joins the group.
    setImmediate(() => this.#loop());
  }

  async #loop(): Promise<void> {
    try {
      while (this.#durableLsn < this.#writtenLsn && this.#failure === null) {
        const target = this.#writtenLsn;
        try {
          await this.#sync();
        } catch (error) {
          this.#fail(error);
          break;
        }
        this.#syncs++;
        this.#durableLsn = target;
        this.#release(target);
      }
    } finally {
      this.#running = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #release(target: number): void {
    const waiting: Waiter[] = [];
    const ready: Waiter[] = [];
    for (const waiter of this.#waiters) (waiter.lsn <= target ? ready : waiting).push(waiter);
    this.#waiters = waiting;
    for (const waiter of ready) waiter.resolve();
  }

  #fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#failure = new PlanckError(
      "internal",
      `WAL sync failed, the database must be reopened: ${message}`,
      {},
      {
        cause: error,
      },
    );
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
  }
}
