/**
 * A watch's follower of the change log: turns the records after its cursor into the watch's events
 * (its `transform`: a store and key range, a filter, every store) and yields them as an async
 * iterator. It catches up by reading the log itself (`ChangeLog.next`, at its consumer's pace),
 * then joins its database's single reader (fan_out.ts) and is handed each new group synchronously.
 * A consumer that stops reading leaves the reader once CHANGES_FOLLOWER_QUEUE_MAX events wait
 * unread, and catches up from the log again when it reads on: nothing is lost.
 *
 * `listen(listener)` lets a consumer that handles events synchronously (the wire subscription)
 * take them straight from the reader, without an iterator step per event; it succeeds only once
 * the follower is live with nothing queued.
 *
 * Invariants: events come in LSN order, each once; a transform that returns END ends the follower
 * (its store was dropped) after the events before it; after `return()` nothing more is yielded.
 */
import { CHANGES_FOLLOWER_QUEUE_MAX } from "../limits.ts";
import type { ChangeLog } from "./change_log.ts";
import { type ChangeFanOut, fanOutOf, type LiveSink } from "./fan_out.ts";
import type { ChangeGroup, ChangeRecord } from "./record.ts";

/** What a transform returns to end the follower (the watched store was dropped). */
export const END: unique symbol = Symbol("end");

/** A record's event for this watch, undefined when it is not the watch's, or END. */
export type Transform<E> = (record: ChangeRecord, commitLsn: number) => E | undefined | typeof END;

/** Takes a live follower's events synchronously. */
export interface FollowerListener<E> {
  event(event: E): void;
  /** The follower ended: the log closed or the store was dropped (no error), or the error. */
  end(error?: unknown): void;
}

export class Follower<E> implements AsyncIterableIterator<E>, LiveSink {
  readonly #log: ChangeLog;
  readonly #fanOut: ChangeFanOut;
  readonly #transform: Transform<E>;
  #prefix: AsyncIterator<E> | undefined;
  #cursor: number;
  #queue: E[] = [];
  #head = 0;
  #live = false;
  #done = false;
  #error: unknown = undefined;
  #wake: (() => void) | null = null;
  #listener: FollowerListener<E> | null = null;

  /** Follows `log` after `since`; `prefix` (a snapshot's events) is yielded first. */
  constructor(log: ChangeLog, since: number, transform: Transform<E>, prefix?: AsyncIterator<E>) {
    this.#log = log;
    this.#fanOut = fanOutOf(log);
    this.#cursor = since;
    this.#transform = transform;
    this.#prefix = prefix;
  }

  get cursor(): number {
    return this.#cursor;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this;
  }

  async next(): Promise<IteratorResult<E>> {
    if (this.#prefix !== undefined) {
      const step = await this.#prefix.next();
      if (step.done !== true && !this.#done) return step;
      this.#prefix = undefined;
    }
    while (true) {
      if (this.#head < this.#queue.length) return { value: this.#take(), done: false };
      if (this.#done) {
        const error = this.#error;
        this.#error = undefined;
        if (error !== undefined) throw error;
        return { value: undefined, done: true };
      }
      if (!this.#live) this.#live = this.#fanOut.join(this);
      if (this.#live) {
        await new Promise<void>((resolve) => this.#wake = resolve);
        continue;
      }
      const groups = await this.#log.next(this.#cursor); // throws resume_point_lost
      if (this.#done) continue;
      if (groups === null) {
        this.#done = true;
        continue;
      }
      for (const group of groups) this.#process(group);
    }
  }

  return(): Promise<IteratorResult<E>> {
    this.#listener = null; // the consumer ended it: nothing to tell
    this.#finish(undefined);
    this.#queue = [];
    this.#head = 0;
    this.#error = undefined;
    void this.#prefix?.return?.();
    this.#prefix = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /**
   * From now on hands every event to `listener` synchronously, when the follower is live with
   * nothing queued (and its prefix consumed); false otherwise (read on with `next()`).
   */
  listen(listener: FollowerListener<E>): boolean {
    if (this.#prefix !== undefined || this.#head < this.#queue.length || this.#done) return false;
    if (!this.#live) this.#live = this.#fanOut.join(this);
    if (!this.#live) return false;
    this.#listener = listener;
    return true;
  }

  deliver(group: ChangeGroup): void {
    this.#process(group);
    if (this.#listener === null && this.#queue.length - this.#head > CHANGES_FOLLOWER_QUEUE_MAX) {
      this.#fanOut.leave(this); // the consumer fell behind: it reads the log itself from here
      this.#live = false;
    }
    this.#signal();
  }

  end(error?: unknown): void {
    this.#live = false;
    this.#finish(error);
  }

  #process(group: ChangeGroup): void {
    for (const record of group.records) {
      if (this.#done) return;
      if (record.lsn <= this.#cursor) continue;
      const event = this.#transform(record, group.commitLsn);
      if (event === END) return this.#finish(undefined);
      this.#cursor = record.lsn;
      if (event === undefined) continue;
      if (this.#listener !== null) this.#listener.event(event);
      else this.#queue.push(event);
    }
    if (!this.#done) this.#cursor = Math.max(this.#cursor, group.commitLsn);
  }

  #take(): E {
    const event = this.#queue[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return event;
  }

  #finish(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#fanOut.leave(this);
    this.#live = false;
    const listener = this.#listener;
    this.#listener = null;
    this.#signal();
    listener?.end(error);
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
