/**
 * Per-service instance pools: idle instances of one bundle, warmed at deploy, handed out one per
 * request and returned after it; a faulted instance is discarded and replaced in the background.
 * Long-running guests hold their instance across turns (they yield: guest_slice.ts), so a pool
 * grows up to POOL_INSTANCES_MAX; past that, requests wait in line for the next free instance
 * until their deadline (then `unavailable`) — a flood of runaway requests costs bounded memory.
 *
 * Invariants: an instance is used by at most one request at a time; a broken instance never goes
 * back to the idle list; busy + being created ≤ POOL_INSTANCES_MAX; waiters are served in arrival
 * order; after `close()` no instance is handed out and every idle one is disposed.
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { GuestInstance } from "./guest.ts";

/** Creates one instance of a service version (any tier). */
export type InstanceFactory = () => Promise<GuestInstance>;

/** Idle instances kept warm per service. */
export const POOL_IDLE_MAX = 4;
/** Instances created at deploy. */
export const POOL_WARM_COUNT = 2;
/** Most instances of one service version in use or being created at once. */
export const POOL_INSTANCES_MAX = 8;

interface Waiter {
  resolve(instance: GuestInstance | undefined): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The pool of one deployed service version. */
export class InstancePool {
  readonly #factory: InstanceFactory;
  readonly #idle: GuestInstance[] = [];
  #refilling: Promise<void> | undefined;
  #closed = false;
  #created = 0;
  #discarded = 0;
  #busy = 0;
  #creating = 0;
  #waited = 0;
  readonly #waiters: Waiter[] = [];

  constructor(factory: InstanceFactory) {
    this.#factory = factory;
  }

  /** Creates `count` instances now (deploy fails here if the bundle does not load). */
  async warm(count = POOL_WARM_COUNT): Promise<void> {
    for (let i = 0; i < count; i++) this.#idle.push(await this.#create());
  }

  async #create(): Promise<GuestInstance> {
    this.#creating++;
    try {
      const instance = await this.#factory();
      this.#created++;
      return instance;
    } finally {
      this.#creating--;
    }
  }

  /**
   * An idle instance now, or undefined. Callers that enter the guest right after this hold an
   * instance across a turn only while a long-running guest yields (guest_slice.ts), so under any
   * concurrency of short requests one warm instance suffices (an `await acquire()` would let other
   * requests pop the idle list in between and force needless instance creation).
   */
  tryAcquire(): GuestInstance | undefined {
    if (this.#closed) throw new TypeError("Cannot acquire from a closed pool");
    const instance = this.#idle.pop();
    if (instance !== undefined) this.#busy++;
    return instance;
  }

  /**
   * An idle instance, a new one while the pool is below POOL_INSTANCES_MAX, or the next one
   * released, waiting at most until `deadlineMs` (a `Date.now()` time).
   * @throws PlanckError `unavailable` when every instance stayed busy until the deadline
   */
  async acquire(deadlineMs = Infinity): Promise<GuestInstance> {
    const idle = this.tryAcquire();
    if (idle !== undefined) return idle;
    if (this.#busy + this.#creating >= POOL_INSTANCES_MAX) {
      this.#waited++;
      const handed = await new Promise<GuestInstance | undefined>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          timer: setTimeout(() => {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            reject(
              new PlanckError(
                "unavailable",
                `All ${POOL_INSTANCES_MAX} instances of the service stayed busy until the request's deadline`,
                { limit: "POOL_INSTANCES_MAX" },
              ),
            );
          }, Math.max(0, Math.min(deadlineMs - Date.now(), 2 ** 31 - 1))),
        };
        this.#waiters.push(waiter);
      });
      if (handed !== undefined) return handed; // counted busy by release
      if (this.#closed) throw new TypeError("Cannot acquire from a closed pool");
    }
    this.#busy++; // before the await: concurrent acquires see the slot taken
    try {
      return await this.#create();
    } catch (error) {
      this.#busy--;
      this.#wakeOne(undefined);
      throw error;
    }
  }

  /** Hands `instance` (or, when undefined, a slot to create one in) to the first waiter. */
  #wakeOne(instance: GuestInstance | undefined): boolean {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return false;
    clearTimeout(waiter.timer);
    waiter.resolve(instance);
    return true;
  }

  /** Gives an instance back after a request: kept if healthy, else discarded. */
  release(instance: GuestInstance): void {
    if (!instance.broken && !this.#closed && this.#waiters.length > 0) {
      this.#wakeOne(instance); // stays busy: handed straight to the next request
      return;
    }
    this.#busy--;
    if (instance.broken || this.#closed || this.#idle.length >= POOL_IDLE_MAX) {
      if (instance.broken) this.#discarded++;
      instance.dispose();
      if (this.#wakeOne(undefined)) return; // the waiter creates the replacement
      if (instance.broken) this.#refill();
      return;
    }
    this.#idle.push(instance);
  }

  /** Replaces a discarded instance in the background so the next request finds one warm. */
  #refill(): void {
    if (this.#closed || this.#refilling !== undefined || this.#idle.length > 0) return;
    this.#refilling = this.#create().then(
      (instance) => {
        if (this.#closed) return instance.dispose();
        if (this.#waiters.length === 0) return void this.#idle.push(instance);
        this.#busy++;
        this.#wakeOne(instance);
      },
      () => {},
    ).finally(() => this.#refilling = undefined);
  }

  /** Counters for stats and tests. */
  stats(): {
    idle: number;
    busy: number;
    created: number;
    discarded: number;
    waiting: number;
    waited: number;
  } {
    return {
      idle: this.#idle.length,
      busy: this.#busy,
      created: this.#created,
      discarded: this.#discarded,
      waiting: this.#waiters.length,
      waited: this.#waited,
    };
  }

  /** Disposes every idle instance; in-flight ones are disposed when released. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#wakeOne(undefined)) { /* each waiter then finds the pool closed */ }
    await this.#refilling;
    for (const instance of this.#idle.splice(0)) instance.dispose();
  }
}
