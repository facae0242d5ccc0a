/**
 * One SSE connection on the app port: its topics, its position (`cursor`, the LSN of the last
 * event it was sent) and its bounded queue. The queue is the response stream's own queue, counted
 * in blocks (CountQueuingStrategy): a live subscriber whose queue holds more than
 * SSE_QUEUE_EVENTS_MAX blocks for SSE_SLOW_CONSUMER_MS (the hub sweeps), or more than
 * SLOW_HARD_FACTOR times that at any moment, is a slow consumer and its stream is ended; the
 * browser reconnects with Last-Event-ID and catches up from the WAL, so it loses nothing. The grace
 * period lets a reader that is only behind for a burst (a large transaction) catch up. While
 * catching up a subscriber waits for room instead (it reads at its own pace).
 *
 * Invariants: blocks are enqueued in LSN order; `cursor` only grows; after `end()` nothing is
 * enqueued and `onEnd` ran exactly once.
 */
import { SSE_QUEUE_EVENTS_MAX, SSE_SLOW_CONSUMER_MS } from "../limits.ts";
import type { TopicRuntime } from "./topic_runtime.ts";

/** Past SLOW_HARD_FACTOR × SSE_QUEUE_EVENTS_MAX queued blocks a live stream ends at once. */
export const SLOW_HARD_FACTOR = 4;

/** Why a stream ended. */
export type EndReason = "client" | "shutdown" | "slow_consumer" | "topic_gone";

export class Subscriber {
  readonly topics: TopicRuntime[];
  readonly stream: ReadableStream<Uint8Array>;
  /** The LSN of the last event sent (or the position the stream started from). */
  cursor: number;
  /** True once caught up: the hub delivers to it directly. */
  live = false;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  /** Blocks not yet handed to the response (the bounded queue). */
  readonly #queue: Uint8Array[] = [];
  /** Set while the response waits for a block (pull found the queue empty). */
  #wanted = false;
  #ended = false;
  #room: { promise: Promise<void>; resolve: () => void } | undefined;
  /** When the queue went above SSE_QUEUE_EVENTS_MAX (null while below). */
  #overSinceMs: number | null = null;
  readonly #onEnd: (subscriber: Subscriber, reason: EndReason) => void;

  constructor(
    topics: TopicRuntime[],
    cursor: number,
    onEnd: (subscriber: Subscriber, reason: EndReason) => void,
  ) {
    this.topics = topics;
    this.cursor = cursor;
    this.#onEnd = onEnd;
    // highWaterMark 0: the stream holds nothing itself; every block waits in #queue until the
    // response pulls it, so the queue bound is exact and a cut-off can drop it and close cleanly.
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: (controller) => {
        const block = this.#queue.shift();
        if (block === undefined) this.#wanted = true;
        else controller.enqueue(block);
        if (this.#queue.length <= SSE_QUEUE_EVENTS_MAX) {
          this.#overSinceMs = null;
          this.#room?.resolve();
          this.#room = undefined;
        }
      },
      cancel: () => this.end("client"),
    }, new CountQueuingStrategy({ highWaterMark: 0 }));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Blocks in the queue, not yet taken by the response. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Enqueues a block; a live subscriber far past its queue bound is ended as a slow consumer. */
  push(block: Uint8Array): void {
    if (this.#ended) return;
    if (this.#wanted) {
      this.#wanted = false;
      this.#controller.enqueue(block);
      return;
    }
    this.#queue.push(block);
    if (!this.live || this.#queue.length <= SSE_QUEUE_EVENTS_MAX) return;
    if (this.#queue.length > SLOW_HARD_FACTOR * SSE_QUEUE_EVENTS_MAX) return this.end("slow_consumer");
    this.#overSinceMs ??= Date.now();
  }

  /** Ends a live stream that stayed above its queue bound for SSE_SLOW_CONSUMER_MS. */
  sweep(nowMs: number): void {
    if (this.#overSinceMs === null || this.#ended) return;
    if (this.queued <= SSE_QUEUE_EVENTS_MAX) this.#overSinceMs = null;
    else if (nowMs - this.#overSinceMs >= SSE_SLOW_CONSUMER_MS) this.end("slow_consumer");
  }

  /** True when the queue is over half full (the hub then lets the event loop write before going on). */
  get pressed(): boolean {
    return this.queued > SSE_QUEUE_EVENTS_MAX / 2;
  }

  /** Resolves once the queue has room (or the stream ended). */
  async room(): Promise<void> {
    while (!this.#ended && this.#queue.length >= SSE_QUEUE_EVENTS_MAX) {
      this.#room ??= Promise.withResolvers<void>();
      await this.#room.promise;
    }
  }

  /** Ends the stream (queued blocks are dropped when the client is gone or too slow). */
  end(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#room?.resolve();
    // What the client has not taken is dropped; a slow consumer resumes from its Last-Event-ID.
    if (reason === "slow_consumer") this.#queue.length = 0;
    try {
      if (reason !== "client") this.#controller.close();
    } catch {
      // already closed by the client
    }
    this.#onEnd(this, reason);
  }
}
