/**
 * Per-service instance pools: idle instances of one bundle, warmed at deploy, handed out one per
 * request and returned after it; a faulted instance is discarded and replaced in the background.
 *
 * Invariants: an instance is used by at most one request at a time; a broken instance never goes
 * back to the idle list; after `close()` no instance is handed out and every idle one is disposed.
 */
import { type InstanceLimits, ServiceInstance } from "./runtime.ts";

/** Idle instances kept warm per service. */
export const POOL_IDLE_MAX = 4;
/** Instances created at deploy. */
export const POOL_WARM_COUNT = 2;

/** The pool of one deployed service version. */
export class InstancePool {
  readonly bundle: string;
  readonly limits: InstanceLimits;
  readonly #idle: ServiceInstance[] = [];
  #refilling: Promise<void> | undefined;
  #closed = false;
  #created = 0;
  #discarded = 0;

  constructor(bundle: string, limits: InstanceLimits) {
    this.bundle = bundle;
    this.limits = limits;
  }

  /** Creates `count` instances now (deploy fails here if the bundle does not load). */
  async warm(count = POOL_WARM_COUNT): Promise<void> {
    for (let i = 0; i < count; i++) this.#idle.push(await this.#create());
  }

  async #create(): Promise<ServiceInstance> {
    const instance = await ServiceInstance.create(this.bundle, this.limits);
    this.#created++;
    return instance;
  }

  /** An idle instance, or a new one. */
  async acquire(): Promise<ServiceInstance> {
    if (this.#closed) throw new TypeError("Cannot acquire from a closed pool");
    return this.#idle.pop() ?? await this.#create();
  }

  /** Gives an instance back after a request: kept if healthy, else discarded. */
  release(instance: ServiceInstance): void {
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
  stats(): { idle: number; created: number; discarded: number } {
    return { idle: this.#idle.length, created: this.#created, discarded: this.#discarded };
  }

  /** Disposes every idle instance; in-flight ones are disposed when released. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#refilling;
    for (const instance of this.#idle.splice(0)) instance.dispose();
  }
}
