/**
 * Time slices for guests: a guest that has run GUEST_SLICE_MS without a pause yields the event
 * loop, so requests to other routes (on other instances) keep being answered while it runs on to
 * its deadline. Both tiers run guest code on the engine's thread; without this a runaway handler
 * would hold every other request until it is killed.
 *
 * The mechanism is JavaScript Promise Integration (V8's JSPI, on by default in Deno 2.9): every
 * entry into guest code is a `WebAssembly.promising` export, and the one host import the guest
 * polls while it runs — QuickJS's interrupt handler, the native tier's fuel refill — is a
 * `WebAssembly.Suspending` function that, once a slice is used up, returns a promise: the guest's
 * whole stack is parked until the next macrotask. A guest that is not long-running never yields,
 * so it pays only the promising call (≈ 0.7 µs, bench/.data measurement in docs/wasm-abi.md).
 *
 * Invariants: a Suspending import called outside a promising entry, or with host JavaScript frames
 * on the guest's stack, throws SuspendError (V8 checks before calling it) — host code therefore
 * never runs guest code synchronously, and an instance that sees a SuspendError is broken.
 */

/** The JSPI constructors (not yet in TypeScript's lib). */
interface Jspi {
  Suspending: new (fn: (...args: never[]) => unknown) => unknown;
  promising: (fn: unknown) => (...args: number[]) => Promise<number>;
}

const JSPI = WebAssembly as unknown as Partial<Jspi>;

function jspi(): Jspi {
  if (typeof JSPI.Suspending !== "function" || typeof JSPI.promising !== "function") {
    throw new Error(
      "This runtime lacks WebAssembly JSPI (Suspending / promising): Deno 2.9 or later is needed",
    );
  }
  return JSPI as Jspi;
}

/** `fn` as an import that may return a promise to park the guest's stack (a Suspending function). */
export function suspending(fn: (...args: never[]) => unknown): WebAssembly.ImportValue {
  return new (jspi().Suspending)(fn) as WebAssembly.ImportValue;
}

/** An entry into guest code whose guest may suspend: it returns a promise of the export's result. */
export type GuestEntry = (...args: number[]) => Promise<number>;

/** The wasm export `fn` as a GuestEntry. */
export function promising(fn: unknown): GuestEntry {
  return jspi().promising(fn);
}

/** Longest a guest runs before it yields the event loop to other requests, in milliseconds. */
export const GUEST_SLICE_MS = 10;

/** True for V8's error when a Suspending import is reached outside a promising entry. */
export function isSuspendError(error: unknown): boolean {
  return error instanceof Error && error.name === "SuspendError";
}

/** A promise resolved in a later macrotask: timers and I/O of other requests run first. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The slice clock of one instance: restarted at each entry, polled by its Suspending import. */
export class GuestSlice {
  #startedAt = 0;
  /** Times this instance yielded (for tests and metrics). */
  yields = 0;

  /** Starts a new slice (at each entry into the guest). */
  restart(): void {
    this.#startedAt = performance.now();
  }

  /**
   * `value` now while the slice lasts; once it is used up, a promise of `value` a macrotask later
   * (the Suspending import returns it and the guest's stack waits for it).
   */
  poll<T>(value: T): T | Promise<T> {
    if (performance.now() - this.#startedAt < GUEST_SLICE_MS) return value;
    return nextTurn().then(() => {
      this.yields++;
      this.restart();
      return value;
    });
  }
}
