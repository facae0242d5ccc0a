/**
 * Live topics and change subscriptions declared by a service (guest side): `app.topic(name, …)`
 * declares an SSE topic the host serves at `GET /events?topic=name` (docs/changes.md, "Server-Sent
 * Events"), `app.on(store | {store, filter}, handler)` a subscription the host runs per change
 * event. Both are written into the manifest by `planck build`; the host calls back into the guest
 * with an internal request (`RequestData.planck`) to authorize a subscriber, render an event, or
 * run a subscription handler.
 *
 * Invariants: topic and subscription names are unique within a service; a render function's result
 * is plain data (a string, an Html, a Datastar patch or a JSON value) the host formats as SSE; the
 * internal requests never reach the service's routes.
 */
import type { Document, Filter } from "../protocol/query_document.ts";
import { Condition } from "../builder/condition.ts";
import type { Context } from "./context.ts";
import type { Html } from "./html.ts";

/** How the host writes a topic's events on the SSE stream. */
export type TopicFormat = "htmx" | "datastar" | "json";

/** A change event as the guest sees it (the document is the service's own). */
export interface TopicEvent {
  /** The LSN of the write: the SSE id, and what a subscription's progress records. */
  lsn: number;
  /** Store ops, or for a filtered source `enter`, `update`, `leave` (docs/changes.md). */
  op: "insert" | "update" | "delete" | "enter" | "leave";
  /** The service's store name (without the host's `<service>__` prefix). */
  store: string;
  key: string;
  /** The document after the write (absent on delete and leave). */
  doc?: Document;
}

/** A Datastar `datastar-patch-elements` event a Datastar render function may return. */
export interface ElementsPatch {
  elements?: string | Html;
  selector?: string;
  mode?: "outer" | "inner" | "replace" | "prepend" | "append" | "before" | "after" | "remove";
  useViewTransition?: boolean;
}

/** What a render function returns: a fragment, a Datastar patch, a JSON value, or null to skip. */
export type RenderResult = string | Html | ElementsPatch | Record<string, unknown> | unknown[] | null;

/** Options of `app.topic(name, options)`. */
export interface TopicOptions {
  /** The service store the topic follows. */
  store: string;
  /** One key, or a key range (`from` inclusive, `to` exclusive). */
  key?: string;
  from?: string;
  to?: string;
  /** Only documents matching this filter (a `where(...)` condition or a filter document). */
  filter?: Condition<unknown> | Filter;
  /** Default: "htmx" with a render function, "json" without. */
  format?: TopicFormat;
  /** The SSE event name (htmx and json formats; default: the topic name). */
  event?: string;
  /** Turns an event into what is sent (run in the guest, once per event for every subscriber). */
  render?: (event: TopicEvent) => RenderResult | Promise<RenderResult>;
  /**
   * Runs after the app's middleware for every new subscriber (`c.vars.session` is there when
   * `sessions()` is used): false answers 403; throw HttpError(401) to ask for a login.
   */
  authorize?: (c: Context) => boolean | Promise<boolean>;
}

/** A subscription source: a store, or a store and a filter. */
export type OnSource = string | { store: string; filter?: Condition<unknown> | Filter; name?: string };
/** A subscription handler: runs in its own transaction; throw to have the host retry it. */
export type EventHandler = (event: TopicEvent, c: Context) => void | Promise<void>;

/** A topic as written into the manifest. */
export interface TopicDeclaration {
  name: string;
  store: string;
  key?: string;
  from?: string;
  to?: string;
  filter?: Filter;
  format: TopicFormat;
  event: string;
  render: boolean;
  authorize: boolean;
}

/** A subscription as written into the manifest. */
export interface SubscriptionDeclaration {
  name: string;
  store: string;
  filter?: Filter;
}

/** What the host asks with an internal request. */
export type InternalCall =
  | { kind: "authorize"; topic: string }
  | { kind: "render"; topic: string; event: TopicEvent }
  | { kind: "on"; name: string; event: TopicEvent };

const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

function filterOf(filter: Condition<unknown> | Filter | undefined): Filter | undefined {
  if (filter === undefined) return undefined;
  return filter instanceof Condition ? filter.toFilter() : filter;
}

/** The topics and subscriptions of one app. */
export class LiveDeclarations {
  readonly topics = new Map<string, { declaration: TopicDeclaration; options: TopicOptions }>();
  readonly subscriptions = new Map<string, { declaration: SubscriptionDeclaration; handler: EventHandler }>();

  /** Adds a topic. @throws TypeError on a bad or repeated name */
  topic(name: string, options: TopicOptions): void {
    if (!TOPIC_NAME.test(name)) {
      throw new TypeError(`Invalid topic name "${name}": use letters, digits and "_.:-" (at most 64)`);
    }
    if (this.topics.has(name)) throw new TypeError(`Topic "${name}" is declared twice`);
    const format = options.format ?? (options.render === undefined ? "json" : "htmx");
    const declaration: TopicDeclaration = {
      name,
      store: options.store,
      format,
      event: options.event ?? name,
      render: options.render !== undefined,
      authorize: options.authorize !== undefined,
    };
    if (options.key !== undefined) declaration.key = options.key;
    if (options.from !== undefined) declaration.from = options.from;
    if (options.to !== undefined) declaration.to = options.to;
    const filter = filterOf(options.filter);
    if (filter !== undefined) declaration.filter = filter;
    this.topics.set(name, { declaration, options });
  }

  /** Adds a subscription. @throws TypeError on a repeated name */
  on(source: OnSource, handler: EventHandler): void {
    const spec = typeof source === "string" ? { store: source } : source;
    const name = spec.name ?? `${spec.store}#${this.subscriptions.size}`;
    if (this.subscriptions.has(name)) throw new TypeError(`Subscription "${name}" is declared twice`);
    const declaration: SubscriptionDeclaration = { name, store: spec.store };
    const filter = filterOf(spec.filter);
    if (filter !== undefined) declaration.filter = filter;
    this.subscriptions.set(name, { declaration, handler });
  }
}
