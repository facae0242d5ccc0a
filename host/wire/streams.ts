/**
 * The streams of one wire session: requests that stay open after their first response and push
 * more responses with the same id (docs/wire-protocol.md, "Streaming"). The session owns one
 * `Streams`; a streaming op registers its stream here, the session starts it once the op's first
 * response is queued (so that response always comes first), and `cancel` / `credit` reach it by id.
 *
 * Invariants: an id names at most one live stream; a stream's last frame (`done: true` or
 * `ok: false`) is its last, after which its id is free again; closing the session ends every
 * stream without sending anything more.
 */
import { setImmediate } from "node:timers";
import { PlanckError } from "../../protocol/errors.ts";
import { WATCH_SUBSCRIPTIONS_PER_CONNECTION_MAX } from "../limits.ts";

/** One open stream. */
export interface Stream {
  /** Starts pushing (called once its first response is queued). */
  start(): void;
  /** The client grants `n` more frames. */
  credit(n: number): void;
  /** Ends the stream at the client's request: it sends its `done` frame (reason "cancelled"). */
  cancel(): void;
  /** Ends the stream silently (the connection is closing). */
  close(): void;
}

/** What a stream may use of its session. */
export interface StreamOutput {
  /** Queues an encoded frame on the connection. */
  send(frame: Uint8Array): void;
  /** The session's frame limit. */
  readonly frameBytes: number;
  /** Hands every frame queued so far to the connection now (a stream's last frame: see Streams). */
  flush?(): void;
}

/**
 * The streams' side of the connection: frames sent during one turn of the event loop go to the
 * session as one buffer, so a commit that reaches many watches of one connection costs one socket
 * write, not one per watch (the session coalesces only what queues while a write runs). `flush()`
 * hands them over at once; a stream calls it after its last frame, so that an op answered right
 * after (`cancel`) still comes after the stream's `done`.
 *
 * Invariant: frames reach the session in the order sent.
 */
class CoalescedOutput implements StreamOutput {
  readonly #inner: StreamOutput;
  #pending: Uint8Array[] = [];
  #scheduled = false;

  constructor(inner: StreamOutput) {
    this.#inner = inner;
  }

  get frameBytes(): number {
    return this.#inner.frameBytes;
  }

  send(frame: Uint8Array): void {
    this.#pending.push(frame);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.#scheduled = false;
    const frames = this.#pending;
    if (frames.length === 0) return;
    this.#pending = [];
    if (frames.length === 1) return this.#inner.send(frames[0]);
    let size = 0;
    for (const frame of frames) size += frame.length;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const frame of frames) {
      bytes.set(frame, at);
      at += frame.length;
    }
    this.#inner.send(bytes);
  }
}

/** The open streams of one session. */
export class Streams {
  readonly output: StreamOutput;
  readonly #live = new Map<number, Stream>();
  readonly #starting = new Map<number, Stream>();

  constructor(output: StreamOutput) {
    this.output = new CoalescedOutput(output);
  }

  get size(): number {
    return this.#live.size;
  }

  /**
   * Registers `stream` under request `id`; it starts after the request's first response.
   * @throws PlanckError `conflict` (id in use), `limit_exceeded` (WATCH_SUBSCRIPTIONS_PER_CONNECTION_MAX)
   */
  add(id: number, stream: Stream): void {
    if (this.#live.has(id)) {
      throw new PlanckError("conflict", `Request id ${id} already names an open stream`, { field: "id" });
    }
    if (this.#live.size >= WATCH_SUBSCRIPTIONS_PER_CONNECTION_MAX) {
      throw new PlanckError(
        "limit_exceeded",
        `At most ${WATCH_SUBSCRIPTIONS_PER_CONNECTION_MAX} streams per connection (WATCH_SUBSCRIPTIONS_PER_CONNECTION_MAX)`,
        { limit: "WATCH_SUBSCRIPTIONS_PER_CONNECTION_MAX" },
      );
    }
    this.#live.set(id, stream);
    this.#starting.set(id, stream);
  }

  /** True while request `id` has opened a stream that has not started yet (its first response is being sent). */
  opening(id: number): boolean {
    return this.#starting.has(id);
  }

  /** Called by the session after the first response of request `id` is queued. */
  started(id: number): void {
    const stream = this.#starting.get(id);
    if (stream === undefined) return;
    this.#starting.delete(id);
    stream.start();
  }

  /** The live stream `id`. @throws PlanckError `not_found` naming `field` */
  get(id: number, field: string): Stream {
    const stream = this.#live.get(id);
    if (stream === undefined) {
      throw new PlanckError("not_found", `No open stream with id ${id}`, { field });
    }
    return stream;
  }

  /** Frees `id` (a stream calls it when it sends its last frame). */
  remove(id: number, stream: Stream): void {
    if (this.#live.get(id) === stream) this.#live.delete(id);
    this.#starting.delete(id);
  }

  /** Ends every stream silently (the session is closing); frames not yet handed over are dropped. */
  closeAll(): void {
    const streams = [...this.#live.values()];
    this.#live.clear();
    this.#starting.clear();
    for (const stream of streams) stream.close();
  }
}
