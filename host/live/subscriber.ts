/**
 * One SSE connection on the app port: its topics, its position (`cursor`, the LSN of the last
 * event it was sent) and its bounded queue. The queue is the response stream's own queue, counted
 * in blocks (CountQueuingStrategy with SSE_QUEUE_EVENTS_MAX): a live subscriber whose queue is
 * full is a slow consumer and its stream is ended; the browser reconnects with Last-Event-ID and
 * catches up from the WAL, so it loses nothing. While catching up a subscriber waits for room
 * instead (it reads at its own pace).
 *
 * Invariants: blocks are enqueued in LSN order; `cursor` only grows; after `end()` nothing is
 * enqueued and `onEnd` ran exactly once.
 */
import { SSE_QUEUE_EVENTS_MAX } from "../limits.ts";
import type { TopicRuntime } from "./topic_runtime.ts";

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
  #ended = false;
  #room: { promise: Promise<void>; resolve: () => void } | undefined;
  readonly #onEnd: (subscriber: Subscriber, reason: EndReason) => void;

  constructor(
    topics: TopicRuntime[],
    cursor: number,
    onEnd: (subscriber: Subscriber, reason: EndReason) => void,
  ) {
    this.topics = topics;
    this.cursor = cursor;
    this.#onEnd = onEnd;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        this.#room?.resolve();
        this.#room = undefined;
      },
      cancel: () => this.end("client"),
    }, new CountQueuingStrategy({ highWaterMark: SSE_QUEUE_EVENTS_MAX }));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Enqueues a block; a live subscriber past its queue bound is ended as a slow consumer. */
  push(block: Uint8Array): void {
    if (this.#ended) return;
    this.#controller.enqueue(block);
    if (this.live && (this.#controller.desiredSize ?? 0) < 0) this.end("slow_consumer");
  }

  /** Resolves once the queue has room (or the stream ended). */
  async room(): Promise<void> {
    while (!this.#ended && (this.#controller.desiredSize ?? 0) <= 0) {
      this.#room ??= Promise.withResolvers<void>();
      await this.#room.promise;
    }
  }

  /** Ends the stream (queued blocks are dropped when the client is gone or too slow). */
  end(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#room?.resolve();
    try {
      // A slow consumer's body is errored: that ends the response at once (a closed one would first
      // drain the queue the client is not reading).
      if (reason === "slow_consumer") this.#controller.error(new Error(reason));
      else if (reason !== "client") this.#controller.close();
    } catch {
      // already closed by the client
    }
    this.#onEnd(this, reason);
  }
}
