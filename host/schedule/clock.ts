/**
 * The scheduler's clock: the time and one-shot timers. `SYSTEM_CLOCK` is the real one; tests
 * inject a manual clock (tests/_util/manual_clock.ts) so a schedule fires at an exact instant
 * without waiting.
 */

/** A clock: milliseconds since 1970 and timers. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The longest a real timer is armed for; the scheduler re-arms after it (setTimeout holds 2^31 - 1 ms). */
export const TIMER_MS_MAX = 60 * 60_000;

/** Real time; timers do not keep the process alive. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, Math.min(ms, TIMER_MS_MAX));
    Deno.unrefTimer(timer);
    return timer;
  },
  clearTimer: (handle) => clearTimeout(handle as number),
};
