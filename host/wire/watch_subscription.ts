/**
 * One `watch` subscription on a wire session: reads the events of an engine watch, keeps at most
 * WATCH_BUFFER_EVENTS_MAX (and WATCH_BUFFER_BYTES_MAX) encoded event frames, and sends them as the
 * client grants credit (docs/wire-protocol.md, "watch").
 *
 * Flow control: every event frame uses one credit; the client starts with `credit` and grants more
 * with the `credit` op. Change events are read as soon as they commit, whatever the credit, so a
 * client that grants too little fills the buffer; the change event that finds it full ends the
 * subscription with `slow_consumer` and `lsn` = the LSN of the last event sent (resume with
 * `since: lsn`: nothing is lost, the rest comes from the WAL). Snapshot events, and events committed
 * before the watch started (a resume from an older `since` catching up), are read only while the
 * buffer has room (they never overflow); no change event can cut a subscription off while snapshot
 * events are still unsent.
 *
 * Invariants: frames go out in event order, each at most once; the last frame is exactly one
 * `done` or error frame (none when the connection closes); every event is re-authorized when the
 * users changed, so a dropped, re-keyed or demoted user stops receiving at once.
 */
import { BSON } from "bson";
import { assert } from "../../engine/assert.ts";
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { WATCH_BUFFER_BYTES_MAX, WATCH_BUFFER_EVENTS_MAX, WATCH_CREDIT_MAX } from "../limits.ts";
import { toWireError } from "./errors.ts";
import { encodeFrame } from "../../protocol/frame.ts";
import type { FollowerListener } from "../../engine/changes/follower.ts";
import type { Stream, Streams } from "./streams.ts";

/** An event as the engine yields it (ChangeEvent or FilterEvent). */
export interface WatchedEvent {
  lsn: number;
  op: string;
  before?: unknown;
  [field: string]: unknown;
}

/** Encoded events, per event object: watchers sharing an event (engine eventOf) encode it once. */
const ENCODED = new WeakMap<object, Uint8Array>();
const ENVELOPE_BYTES = 4 + 8 + 5 + 7 + 8 + 1; // length, "id" int32, "ok" true, "more" true, "result" head, end
const textEncoder = new TextEncoder();

/**
 * `{id, ok: true, more: true, result: event}` as a frame, assembled around the event's BSON encoded
 * once per event object; undefined when it would not fit in `frameBytes` (the caller falls back).
 */
function eventFrame(id: number, event: WatchedEvent, frameBytes: number): Uint8Array | undefined {
  let result = ENCODED.get(event);
  if (result === undefined) {
    result = BSON.serialize(event);
    ENCODED.set(event, result);
  }
  const size = ENVELOPE_BYTES + result.length;
  if (size > frameBytes) return undefined;
  const frame = new Uint8Array(4 + size);
  const view = new DataView(frame.buffer);
  view.setUint32(0, size, true);
  view.setInt32(4, size, true);
  let at = 8;
  const element = (type: number, name: string) => {
    frame[at++] = type;
    at += textEncoder.encodeInto(name, frame.subarray(at)).written;
    frame[at++] = 0;
  };
  element(0x10, "id");
  view.setInt32(at, id, true);
  at += 4;
  element(0x08, "ok");
  frame[at++] = 1;
  element(0x08, "more");
  frame[at++] = 1;
  element(0x03, "result");
  frame.set(result, at);
  at += result.length;
  frame[at++] = 0;
  assert(at === frame.length, "event frame layout");
  return frame;
}

/** What a subscription needs. */
export interface SubscriptionOptions {
  id: number;
  events: AsyncIterator<WatchedEvent>;
  /** The LSN the watch starts after. */
  startLsn: number;
  /** Initial credit. */
  credit: number;
  streams: Streams;
  db: Database;
  /** Throws when the session's user may no longer watch (called per event). */
  recheck(): void;
}

/** What an engine watch offers for live delivery (engine/changes/follower.ts). */
interface LiveEvents {
  readonly cursor: number;
  listen(listener: FollowerListener<WatchedEvent>): boolean;
}

interface Buffered {
  frame: Uint8Array;
  lsn: number;
  snapshot: boolean;
}

/** A running watch subscription. */
export class WatchSubscription implements Stream {
  readonly #o: SubscriptionOptions;
  #credit: number;
  #buffer: Buffered[] = [];
  #head = 0;
  #bytes = 0;
  #unsentSnapshot = 0;
  #lastSentLsn: number;
  #ended = false;
  #space: (() => void) | null = null;
  #onEmpty: (() => void) | null = null;

  constructor(options: SubscriptionOptions) {
    this.#o = options;
    this.#credit = options.credit;
    this.#lastSentLsn = options.startLsn;
  }

  start(): void {
    void this.#pull();
  }

  credit(n: number): void {
    if (this.#ended) return;
    this.#credit = Math.min(WATCH_CREDIT_MAX, this.#credit + n);
    this.#drain();
  }

  cancel(): void {
    this.#finish({ id: this.#o.id, ok: true, done: true, result: { reason: "cancelled" } });
  }

  close(): void {
    this.#end();
  }

  get #pending(): number {
    return this.#buffer.length - this.#head;
  }

  #full(): boolean {
    return this.#pending >= WATCH_BUFFER_EVENTS_MAX || this.#bytes >= WATCH_BUFFER_BYTES_MAX;
  }

  async #pull(): Promise<void> {
    const events = this.#o.events as AsyncIterator<WatchedEvent> & Partial<LiveEvents>;
    let snapshotLeft = true;
    // Events committed before the watch started are history (in the WAL): read them as credit allows.
    const catchUpTo = this.#o.db.lastLsn;
    let pulled = this.#o.startLsn;
    while (!this.#ended) {
      if (this.#full() && (snapshotLeft || this.#unsentSnapshot > 0 || pulled < catchUpTo)) {
        await new Promise<void>((resolve) => this.#space = resolve);
        continue;
      }
      // Live and past the history: take events straight from the change-log reader from here.
      if (this.#unsentSnapshot === 0 && (events.cursor ?? pulled) >= catchUpTo && this.#listen(events)) {
        return;
      }
      let step: IteratorResult<WatchedEvent>;
      try {
        step = await events.next();
        if (this.#ended) return;
        if (step.done === true) return this.#finishDone();
        this.#o.recheck();
      } catch (error) {
        return this.#fail(error);
      }
      const event = step.value;
      if (event.op !== "snapshot") snapshotLeft = false;
      pulled = Math.max(pulled, event.lsn);
      this.#accept(event, event.lsn > catchUpTo);
    }
  }

  /** Hands the engine's live events to this subscription synchronously, when the watch allows it. */
  #listen(events: Partial<LiveEvents>): boolean {
    return events.listen?.({
      event: (event) => {
        if (this.#ended) return;
        try {
          this.#o.recheck();
        } catch (error) {
          return this.#fail(error);
        }
        this.#accept(event, true);
      },
      end: (error) => error === undefined ? this.#finishDone() : this.#fail(error),
    }) ?? false;
  }

  /** Buffers one event's frame and sends what credit allows; a live event that overflows ends the watch. */
  #accept(event: WatchedEvent, live: boolean): void {
    const snapshot = event.op === "snapshot";
    const frame = this.#encode(event);
    if (frame === undefined) return;
    if (!snapshot && live && this.#unsentSnapshot === 0 && this.#overflows(frame.length)) {
      return this.#fail(
        new PlanckError(
          "slow_consumer",
          `Watch ${this.#o.id} fell behind: ${WATCH_BUFFER_EVENTS_MAX} events (or ${WATCH_BUFFER_BYTES_MAX} bytes) waited for credit (the limit WATCH_BUFFER_EVENTS_MAX); resume with since ${this.#lastSentLsn}`,
          { lsn: BigInt(this.#lastSentLsn), limit: "WATCH_BUFFER_EVENTS_MAX" },
        ),
      );
    }
    this.#buffer.push({ frame, lsn: event.lsn, snapshot });
    this.#bytes += frame.length;
    if (snapshot) this.#unsentSnapshot++;
    this.#drain();
  }

  #overflows(bytes: number): boolean {
    if (this.#pending >= WATCH_BUFFER_EVENTS_MAX) return true;
    return this.#pending > 0 && this.#bytes + bytes > WATCH_BUFFER_BYTES_MAX;
  }

  /** The event frame; without `before` if too large; undefined (and the stream ended) if still too large. */
  #encode(event: WatchedEvent): Uint8Array | undefined {
    const limit = this.#o.streams.output.frameBytes;
    const shared = eventFrame(this.#o.id, event, limit);
    if (shared !== undefined) return shared;
    const doc = { id: this.#o.id, ok: true, more: true, result: event };
    try {
      return encodeFrame(doc, limit);
    } catch (error) {
      if (event.before !== undefined) {
        const { before: _, ...rest } = event;
        return this.#encode(rest as WatchedEvent);
      }
      this.#fail(error);
      return undefined;
    }
  }

  #drain(): void {
    while (!this.#ended && this.#credit > 0 && this.#pending > 0) {
      const item = this.#buffer[this.#head++];
      this.#credit--;
      this.#bytes -= item.frame.length;
      if (item.snapshot) this.#unsentSnapshot--;
      this.#lastSentLsn = item.lsn;
      this.#o.streams.output.send(item.frame);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    const space = this.#space;
    if (space !== null && !this.#full()) {
      this.#space = null;
      space();
    }
    const onEmpty = this.#onEmpty;
    if (onEmpty !== null && this.#pending === 0) {
      this.#onEmpty = null;
      onEmpty();
    }
  }

  #finishDone(): void {
    if (this.#o.db.closed) {
      return this.#fail(new PlanckError("unavailable", "The database closed: reconnect and resume"));
    }
    // The store was dropped: what is buffered still goes out first, then the done frame.
    const done = { id: this.#o.id, ok: true, done: true, result: { reason: "dropped" } };
    this.#whenSent(() => this.#finish(done));
  }

  #fail(error: unknown): void {
    this.#finish({ id: this.#o.id, ok: false, error: toWireError(error) });
  }

  /** Runs `then` once every buffered frame is sent (credit permitting). */
  #whenSent(then: () => void): void {
    if (this.#pending === 0 || this.#ended) return then();
    this.#onEmpty = then;
  }

  #finish(doc: Record<string, unknown>): void {
    if (this.#ended) return;
    this.#end();
    this.#o.streams.output.send(encodeFrame(doc, this.#o.streams.output.frameBytes));
    this.#o.streams.output.flush?.(); // the last frame goes before any answer the session sends next
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#o.streams.remove(this.#o.id, this);
    this.#buffer = [];
    this.#head = 0;
    this.#bytes = 0;
    const space = this.#space;
    this.#space = null;
    space?.();
    void this.#o.events.return?.(); // may settle only after the engine's next group; nothing waits on it
  }
}
