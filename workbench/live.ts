/**
 * The live view's stream, `GET /api/watch?store=NAME[&filter=PQL-FILTER][&snapshot=1]`: the changes of
 * one store (or of the documents matching a filter: enter / update / leave) as Server-Sent Events,
 * from the engine's watch API (engine/changes/: watchStore, watchFilter). Events:
 *
 *   event: ready    data: {"store","filter","lsn"}        where the watch starts (after that LSN)
 *   event: change   data: {"lsn","op","key","doc"?,"truncated"?}   one written document (relaxed
 *                   Extended JSON; a document over LIVE_DOC_CHARS_MAX characters comes as
 *                   "docText", cut, with "truncated": true)
 *   event: end      data: {"reason","message"?}           the last event: "limit" (LIVE_EVENTS_MAX sent),
 *                   "logout", "shutdown", "dropped" (store dropped or database closed),
 *                   "unauthorized" (user dropped, key rotated or role lowered), "error"
 *   ": ping" comments every LIVE_PING_MS keep proxies from closing an idle stream.
 *
 * Invariants: the caller needs read access to the store (system stores: admins), checked before
 * the watch starts and again for every event (a demotion ends the stream); every stream is in
 * `LiveStreams`, ended on logout of its session and on shutdown, and its engine watch is
 * returned in every way it can end (cancel by the browser included); pulls follow the reader
 * (no unbounded queue).
 */
import { watchFilter } from "../engine/changes/filter_watch.ts";
import { type WatchIterator, watchStore } from "../engine/changes/watch.ts";
import { PlanckError } from "../protocol/errors.ts";
import { parsePql } from "../engine/pql/mod.ts";
import { authorize } from "../host/wire/authorize.ts";
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import type { Principal } from "./access.ts";
import { toJsonValue } from "./ejson.ts";
import { LIVE_DOC_CHARS_MAX, LIVE_EVENTS_MAX, LIVE_STREAMS_PER_SESSION, SSE_STREAMS_MAX } from "./limits.ts";

/** Interval of the keep-alive comment, in milliseconds. */
export const LIVE_PING_MS = 15_000;

interface LiveStream {
  session: string | undefined;
  end(reason: string, message?: string): void;
}

/** The open live streams of one workbench. */
export class LiveStreams {
  readonly #open = new Set<LiveStream>();

  get size(): number {
    return this.#open.size;
  }

  add(stream: LiveStream): void {
    if (this.#open.size >= SSE_STREAMS_MAX) {
      throw new PlanckError("unavailable", "Too many live streams open: close a live view and retry");
    }
    if (stream.session !== undefined) {
      const mine = [...this.#open].filter((s) => s.session === stream.session);
      if (mine.length >= LIVE_STREAMS_PER_SESSION) {
        mine[0].end("replaced", "a newer live view took its place");
      }
    }
    this.#open.add(stream);
  }

  delete(stream: LiveStream): void {
    this.#open.delete(stream);
  }

  /** Ends the streams of one session (logout). */
  endSession(session: string): void {
    for (const s of [...this.#open]) if (s.session === session) s.end("logout");
  }

  /** Ends every stream (the server stops). */
  endAll(): void {
    for (const s of [...this.#open]) s.end("shutdown");
  }
}

type Event = { lsn: number; op: string; key: string; doc?: Record<string, unknown> };

/** Compiles a PQL filter expression (as inside `.filter(…)`) into a query filter. */
export function filterOf(text: string): unknown {
  const query = parsePql(`x.filter(${text})`);
  if (query.op !== "find" || query.filter === undefined || query.orderBy !== undefined) {
    throw new PlanckError("invalid_argument", "Invalid filter: expected a filter expression such as n > 1", {
      field: "filter",
    });
  }
  return query.filter;
}

function request(who: Principal, url: URL) {
  const store = url.searchParams.get("store") ?? "";
  const filterText = (url.searchParams.get("filter") ?? "").trim();
  if (store === "") throw new PlanckError("invalid_argument", 'Missing "store"', { field: "store" });
  const need = { access: "read" as const, what: "watching a store", stores: [store] };
  authorize(who.user, need);
  return { store, filterText, need };
}

/**
 * `GET /api/watch/check`: whether `/api/watch` would start, as `{ok: true}` or `{ok: false, error,
 * message, …location}` (an EventSource cannot read an error body, so the page asks first).
 */
export function checkWatch(parts: WorkbenchParts, who: Principal, url: URL): Record<string, unknown> {
  try {
    const { store, filterText } = request(who, url);
    parts.db.storeInfo(store);
    if (filterText !== "") filterOf(filterText);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof PlanckError)) throw error;
    return { ok: false, error: error.code, message: error.message, ...error.location };
  }
}

/** `GET /api/watch`: starts the watch and answers the event stream. @throws PlanckError before anything is sent */
export function watchResponse(
  parts: WorkbenchParts,
  who: Principal,
  url: URL,
  streams: LiveStreams,
): Response {
  const { store, filterText, need } = request(who, url);
  const snapshot = url.searchParams.get("snapshot") === "1";
  const events =
    (filterText === ""
      ? watchStore(parts.db, store, { snapshot })
      : watchFilter(parts.db, store, filterOf(filterText), { snapshot })) as unknown as WatchIterator<Event>;
  const encoder = new TextEncoder();
  let sent = 0;
  let ended = false;
  let ping: ReturnType<typeof setInterval> | undefined;
  let control: ReadableStreamDefaultController<Uint8Array>;
  const frame = (event: string, data: unknown) =>
    encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const live: LiveStream = {
    session: who.session?.id,
    end(reason: string, message?: string) {
      if (ended) return;
      ended = true;
      streams.delete(live);
      clearInterval(ping);
      void events.return?.(undefined); // settles after the engine's next group or at close; nothing waits
      try {
        control.enqueue(frame("end", message === undefined ? { reason } : { reason, message }));
        control.close();
      } catch {
        // the reader went away
      }
    },
  };
  const stillAllowed = (): boolean => {
    const user = parts.users.get(who.user.name);
    if (user === undefined || user.keyRotatedAt.getTime() !== who.user.keyRotatedAt.getTime()) return false;
    try {
      authorize(user, need);
      return true;
    } catch {
      return false;
    }
  };
  try {
    streams.add(live);
  } catch (error) {
    void events.return?.(undefined);
    throw error;
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      control = controller;
      controller.enqueue(frame("ready", { store, filter: filterText, lsn: events.startLsn }));
      ping = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(": ping\n\n"));
        } catch {
          live.end("gone");
        }
      }, LIVE_PING_MS);
    },
    async pull(controller) {
      if (ended) return;
      let step: IteratorResult<Event>;
      try {
        step = await events.next();
      } catch (error) {
        return live.end("error", (error as Error).message);
      }
      if (ended) return;
      if (step.done === true) return live.end("dropped", "the store was dropped or the database closed");
      if (!stillAllowed()) {
        return live.end("unauthorized", "your user was dropped, its key rotated or its role lowered");
      }
      controller.enqueue(frame("change", eventData(step.value)));
      if (++sent >= LIVE_EVENTS_MAX) {
        live.end("limit", `${LIVE_EVENTS_MAX} events shown: watch again to go on`);
      }
    },
    cancel() {
      live.end("gone");
    },
  }, { highWaterMark: 1 });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
  });
}

function eventData(event: Event): Record<string, unknown> {
  const out: Record<string, unknown> = { lsn: event.lsn, op: event.op, key: String(event.key) };
  if (event.doc === undefined) return out;
  const doc = toJsonValue(event.doc);
  const text = JSON.stringify(doc);
  if (text.length <= LIVE_DOC_CHARS_MAX) out.doc = doc;
  else Object.assign(out, { docText: text.slice(0, LIVE_DOC_CHARS_MAX), truncated: true });
  return out;
}
