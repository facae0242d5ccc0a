/**
 * Per-service instance pools: idle instances of one bundle, warmed at deploy, handed out one per
 * request and returned after it; a faulted instance is discarded and replaced in the background.
 *
 * Invariants: an instance is used by at most one request at a time; a broken instance never goes
 * back to the idle list; after `close()` no instance is handed out and every idle one is disposed.
 */
import type { GuestInstance } from "./guest.ts";

/** Creates one instance of a service version (any tier). */
export type InstanceFactory = () => Promise<GuestInstance>;

/** Idle instances kept warm per service. */
export const POOL_IDLE_MAX = 4;
/** Instances created at deploy. */
export const POOL_WARM_COUNT = 2;

/** The pool of one deployed service version. */
export class InstancePool {
  readonly #factory: InstanceFactory;
  readonly #idle: GuestInstance[] = [];
  #refilling: Promise<void> | undefined;
  #closed = false;
  #created = 0;
  #discarded = 0;
  #busy = 0;

  constructor(factory: InstanceFactory) {
    this.#factory = factory;
  }

  /** Creates `count` instances now (deploy fails here if the bundle does not load). */
  async warm(count = POOL_WARM_COUNT): Promise<void> {
    for (let i = 0; i < count; i++) this.#idle.push(await this.#create());
  }

  async #create(): Promise<GuestInstance> {
    const instance = await this.#factory();
    this.#created++;
    return instance;
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

  /** An idle instance, or a new one. */
  async acquire(): Promise<GuestInstance> {
    const idle = this.tryAcquire();
    if (idle !== undefined) return idle;
    const instance = await this.#create();
    this.#busy++;
    return instance;
  }

  /** Gives an instance back after a request: kept if healthy, else discarded. */
  release(instance: GuestInstance): void {
    this.#busy--;
    if (instance.broken || this.#closed || this.#idle.length >= POOL_IDLE_MAX) {
      if (instance.broken) this.#discarded++;
      instance.dispose();
      if (instance.broken) this.#refill();
      return;
    }
    this.#idle.push(instance);
  }

  /** Replaces a discarded instance in the background so the next request finds one warm. */
  #refill(): void {
    if (this.#closed || this.#refilling !== undefined || this.#idle.length > 0) return;
    this.#refilling = this.#create().then(
      (instance) => this.#closed ? instance.dispose() : void this.#idle.push(instance),
      () => {},
    ).finally(() => this.#refilling = undefined);
  }

  /** Counters for stats and tests. */
  stats(): { idle: number; busy: number; created: number; discarded: number } {
    return { idle: this.#idle.length, busy: this.#busy, created: this.#created, discarded: this.#discarded };
  }

  /** Disposes every idle instance; in-flight ones are disposed when released. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#refilling;
    for (const instance of this.#idle.splice(0)) instance.dispose();
  }
}
