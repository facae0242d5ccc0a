/**
 * A clock for scheduler tests (host/schedule/clock.ts): time moves only by `advance`, which fires
 * each due timer at its own instant, in order, letting the event loop run after each.
 */
import type { Clock } from "../../host/schedule/clock.ts";

export class ManualClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Sets the time (a restart later: no timer fires). */
  setTo(ms: number): void {
    this.#timers.clear();
    this.#now = ms;
  }

  /** Moves time forward by `ms`, firing every timer due on the way at its time. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    while (true) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    this.#now = target;
  }
}
