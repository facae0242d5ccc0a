/**
 * The client's watch: the wire `watch` op as an async iterator of the engine's event shape, which
 * reconnects and resumes by itself (docs/changes.md, "Over the wire").
 *
 * Delivery: an event counts as delivered once the iterator yields it. After a lost connection (a
 * server restart, a SIGKILL) or a `slow_consumer` cut-off, the iterator opens the watch again with
 * `since` = the LSN of the last event it yielded — no gap, no duplicate. A filter watch also keeps
 * the keys that match (its snapshot, enters minus leaves) and sends them as `matching` when it
 * resumes; to know them from the start it always asks the server for a snapshot and, when the
 * caller did not ask for one, does not yield it. A connection lost in the middle of a snapshot the
 * caller asked for (after some of it was yielded) cannot be resumed exactly: the iterator throws
 * `unavailable`. `return()` (a `break` out of `for await`) cancels the subscription.
 *
 * Flow control: the iterator grants WATCH_CLIENT_CREDIT events and grants more (`credit` op) each
 * time the caller has taken half of them, so at most that many events wait in memory here.
 */
import type { WatchEvent, WatchSpec } from "../builder/watch.ts";
import { ClientError, fromWireError } from "./errors.ts";
import type { StreamHandler, WireTransport } from "./wire_transport.ts";

/** Events the client lets the server send ahead of the caller. */
export const WATCH_CLIENT_CREDIT = 256;

/** A store/filter watch (WatchSpec) or, with `all`, a watch of every store (admins). */
export type WireWatchSpec = WatchSpec | { all: true; since?: number | "now"; snapshot?: boolean };

type Final = { done: string } | { error: ClientError };

/** One opened subscription on one connection. */
class Subscription implements StreamHandler {
  readonly #transport: WireTransport;
  #queue: WatchEvent[] = [];
  #head = 0;
  #final: Final | null = null;
  #wake: (() => void) | null = null;
  #taken = 0;
  id = 0;

  constructor(transport: WireTransport) {
    this.#transport = transport;
  }

  frame(doc: Record<string, unknown>): void {
    if (doc.ok === true && doc.more === true) {
      this.#queue.push(toEvent(doc.result as Record<string, unknown>));
    } else if (doc.ok === true) this.#final = { done: String((doc.result as { reason?: unknown })?.reason) };
    else this.#final = { error: fromWireError(doc.error) };
    this.#notify();
  }

  lost(error: ClientError): void {
    this.#final ??= { error };
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** The next event, or how the subscription ended. */
  async next(): Promise<{ event: WatchEvent } | Final> {
    while (this.#head >= this.#queue.length && this.#final === null) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#head < this.#queue.length) {
      const event = this.#queue[this.#head++];
      if (this.#head > 1024) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (++this.#taken >= WATCH_CLIENT_CREDIT / 2 && this.#final === null) {
        const credit = this.#taken;
        this.#taken = 0;
        this.#transport.request("credit", { target: this.id, credit }).catch(() => {}); // ended meanwhile
      }
      return { event };
    }
    return this.#final!;
  }

  /** Cancels it on the server (if still open there). */
  cancel(): void {
    if (this.#final !== null) return;
    this.#final = { done: "cancelled" };
    this.#notify(); // a next() waiting for an event returns at once
    this.#transport.request("cancel", { target: this.id }).catch(() => {});
  }
}

/**
 * Starts a watch over `transport`; see the module doc. The `watch` request is sent at this call
 * (not at the first `next()`), so "now" means now, as in the engine.
 */
export function watchOverWire(
  transport: WireTransport,
  spec: WireWatchSpec,
): AsyncIterableIterator<WatchEvent> {
  const all = "all" in spec;
  const filter = !all && spec.filter !== undefined;
  const userSnapshot = spec.snapshot === true;
  let since = all || spec.since === undefined || spec.since === "now" ? undefined : spec.since;
  let matching = null as Set<string> | null;
  let snapshotLeft = 0;
  let yieldedSnapshot = false;
  let sub: Subscription | null = null;
  const open = async (): Promise<Subscription> => {
    const fields = requestFields(spec, since, matching);
    const opened = new Subscription(transport);
    const { id, result } = await transport.openStream("watch", fields, opened);
    opened.id = id;
    const started = result as { lsn: number; snapshot: number };
    if (since === undefined) since = Number(started.lsn);
    snapshotLeft = Number(started.snapshot);
    if (filter && matching === null) matching = new Set();
    return opened;
  };
  let first: Promise<Subscription> | null = open();
  first.catch(() => {}); // the iterator's first next() receives the failure
  let stopped = false;
  const generator = follow();
  // return() must not wait for the next event (an async generator's would): cancel first.
  const stop = (): void => {
    stopped = true;
    if (first !== null) void first.then((opened) => opened.cancel(), () => {});
    sub?.cancel();
  };
  const iterator: AsyncIterableIterator<WatchEvent> = {
    next: () => generator.next(),
    return: (value?: unknown) => {
      stop();
      return generator.return(value);
    },
    throw: (error?: unknown) => {
      stop();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;

  async function* follow(): AsyncGenerator<WatchEvent> {
    try {
      while (true) {
        if (first !== null) {
          const opening = first;
          first = null;
          sub = await opening;
        }
        sub ??= await open();
        if (stopped) return; // return() came while it was opening: finally cancels it
        const next = await sub.next();
        if ("event" in next) {
          const event = next.event;
          if (event.op === "snapshot") {
            snapshotLeft--;
            matching?.add(event.key);
            if (!userSnapshot) continue;
            yieldedSnapshot = true;
          } else {
            since = event.lsn;
            if (event.op === "leave") matching?.delete(event.key);
            else if (event.op === "enter" || event.op === "update") matching?.add(event.key);
          }
          yield event;
          continue;
        }
        sub = null;
        if ("done" in next || stopped) return; // the store was dropped, or return() was called
        const { error } = next;
        if (error.code !== "unavailable" && error.code !== "slow_consumer") throw error;
        if (snapshotLeft > 0) {
          if (yieldedSnapshot) {
            throw new ClientError(
              "unavailable",
              `The watch's snapshot was cut off (${error.message}); a snapshot cannot resume: watch again`,
            );
          }
          since = undefined; // nothing of the snapshot was delivered: take it again
          matching = null;
        }
      }
    } finally {
      if (first !== null) void first.then((opened) => opened.cancel(), () => {});
      sub?.cancel();
    }
  }
}

function requestFields(
  spec: WireWatchSpec,
  since: number | undefined,
  matching: Set<string> | null,
): Record<string, unknown> {
  const fields: Record<string, unknown> = { credit: WATCH_CLIENT_CREDIT };
  if ("all" in spec) {
    if (since !== undefined) fields.since = since;
    else if (spec.snapshot === true) fields.snapshot = true;
    return fields;
  }
  fields.store = spec.store;
  for (const name of ["key", "from", "to"] as const) {
    if (spec[name] !== undefined) fields[name] = spec[name];
  }
  if (spec.filter !== undefined) {
    fields.filter = spec.filter;
    if (since !== undefined) fields.since = since; // the server refuses it without matching
    if (since !== undefined && matching !== null) fields.matching = [...matching];
    if (since === undefined) fields.snapshot = true;
    return fields;
  }
  if (since !== undefined) fields.since = since;
  else if (spec.snapshot === true) fields.snapshot = true;
  return fields;
}

function toEvent(result: Record<string, unknown>): WatchEvent {
  return { ...result, lsn: Number(result.lsn), commitLsn: Number(result.commitLsn) } as unknown as WatchEvent;
}
