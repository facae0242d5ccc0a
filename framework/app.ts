/**
 * The handler framework's application: routes (`app.get("/orders/:id", (c) => …)` and post, put,
 * patch, delete, all), middleware (`app.use((c, next) => …)`), declared indexes, packed static
 * assets, and the request entry the host calls.
 *
 * Invariants: middleware runs in the order added, around the matched handler; an HttpError
 * becomes its reply; any other exception propagates to the host (which rolls the request back
 * and answers 5xx); unknown paths get 404 and known paths with another method 405 with Allow.
 */
import { Context, errorReply, HttpError, type Reply, type RequestData } from "./context.ts";
import { ValidationError } from "./model.ts";
import { Router } from "./router.ts";
import { encodeTagged } from "./tagged_json.ts";
import { Html } from "./html.ts";
import {
  type EventHandler,
  type InternalCall,
  LiveDeclarations,
  type OnSource,
  type SubscriptionDeclaration,
  type TopicDeclaration,
  type TopicOptions,
} from "./topics.ts";

/** A handler: returns a reply (or a promise of one). */
export type Handler = (c: Context) => Reply | Promise<Reply>;
/** Middleware: calls `next()` to run the rest of the chain. */
export type Middleware = (c: Context, next: () => Promise<Reply>) => Reply | Promise<Reply>;

/** A secondary index a service asks the host to create at deploy. */
export interface IndexDeclaration {
  name: string;
  store: string;
  fields: { path: string; direction: "asc" | "desc" }[];
  unique?: boolean;
}

/** One static asset packed into the service. */
export interface Asset {
  contentType: string;
  etag: string;
  body: Uint8Array;
}

/** A Planck service application. */
export class App {
  readonly #router = new Router<Handler>();
  readonly #middleware: Middleware[] = [];
  readonly #indexes: IndexDeclaration[] = [];
  readonly #assets = new Map<string, Asset>();
  readonly #live = new LiveDeclarations();
  #prefix = "";

  /** Adds middleware that runs around every route. */
  use(middleware: Middleware): this {
    this.#middleware.push(middleware);
    return this;
  }

  /**
   * `on(method, path, handler)` adds a route for `method` ("ALL" matches any);
   * `on(store | {store, filter, name}, handler)` subscribes to the changes of a store: the host
   * runs `handler(event, c)` once per event (at least once), each in its own transaction, in LSN
   * order, retrying with backoff while it throws (docs/services.md, "Subscriptions").
   */
  on(method: string, path: string, handler: Handler): this;
  on(source: OnSource, handler: EventHandler): this;
  on(first: string | OnSource, second: string | EventHandler, third?: Handler): this {
    if (typeof second === "function") this.#live.on(first, second);
    else this.#router.add(first as string, second, third!);
    return this;
  }

  /**
   * Declares a live topic served by the host at `GET /events?topic=name` (Server-Sent Events,
   * docs/changes.md): the changes of a store, key range or filter, rendered by `render` as htmx or
   * Datastar fragments, or sent as JSON.
   */
  topic(name: string, options: TopicOptions): this {
    this.#live.topic(name, options);
    return this;
  }
  get(path: string, handler: Handler): this {
    return this.on("GET", path, handler);
  }
  post(path: string, handler: Handler): this {
    return this.on("POST", path, handler);
  }
  put(path: string, handler: Handler): this {
    return this.on("PUT", path, handler);
  }
  patch(path: string, handler: Handler): this {
    return this.on("PATCH", path, handler);
  }
  delete(path: string, handler: Handler): this {
    return this.on("DELETE", path, handler);
  }
  all(path: string, handler: Handler): this {
    return this.on("ALL", path, handler);
  }

  /** Declares an index on one of the service's stores: `app.index("orders_by_status", "orders", ["status"])`. */
  index(name: string, store: string, fields: string[], options: { unique?: boolean } = {}): this {
    this.#indexes.push({
      name,
      store,
      fields: fields.map((f) =>
        f.startsWith("-") ? { path: f.slice(1), direction: "desc" } : { path: f, direction: "asc" }
      ),
      unique: options.unique,
    });
    return this;
  }

  /** Packs static assets (`planck build` calls this with the files under `static/`). */
  assets(assets: Record<string, Asset>): this {
    for (const [path, asset] of Object.entries(assets)) this.#assets.set(path, asset);
    return this;
  }

  /**
   * Mounts the app under a path prefix ("/billing"; `planck build` calls this with planck.json's
   * "prefix"): it then answers only paths under the prefix, and matches its routes and assets
   * against the rest of the path. `c.req.path` stays the full path.
   */
  mount(prefix: string): this {
    this.#prefix = prefix === "/" ? "" : prefix;
    return this;
  }

  /** What the build writes into the manifest. */
  describe(): {
    routes: { method: string; path: string }[];
    indexes: IndexDeclaration[];
    assets: Record<string, string>;
    topics: TopicDeclaration[];
    subscriptions: SubscriptionDeclaration[];
  } {
    const assets: Record<string, string> = {};
    const full = (path: string) =>
      this.#prefix === "" ? path : path === "/" ? this.#prefix : this.#prefix + path;
    for (const [path, asset] of this.#assets) assets[full(path)] = asset.contentType;
    return {
      routes: this.#router.routes.map((r) => ({ method: r.method, path: full(r.pattern.path) })),
      indexes: this.#indexes,
      assets,
      topics: [...this.#live.topics.values()].map((t) => t.declaration),
      subscriptions: [...this.#live.subscriptions.values()].map((s) => s.declaration),
    };
  }

  /** The path relative to the prefix ("\0" when outside it: nothing matches). */
  #local(path: string): string {
    if (this.#prefix === "") return path;
    if (path === this.#prefix) return "/";
    return path.startsWith(`${this.#prefix}/`) ? path.slice(this.#prefix.length) : "\0";
  }

  /** Answers one request. */
  async fetch(data: RequestData): Promise<Reply> {
    if (data.planck !== undefined) return await this.#internal(data, data.planck);
    const path = this.#local(data.path);
    const asset = data.method === "GET" ? this.#assets.get(path) : undefined;
    if (asset !== undefined) return serveAsset(asset, data);
    const c = new Context(data);
    const match = this.#router.match(data.method, path);
    let endpoint: Handler;
    if (match.kind === "found") {
      c.req.params = match.params;
      endpoint = match.route.handler;
    } else if (match.kind === "method_not_allowed") {
      endpoint = (c) => ({
        ...c.text("Method not allowed", 405),
        headers: [["allow", match.allow.join(", ")]],
      });
    } else endpoint = (c) => c.notFound();
    return await this.#run(c, endpoint);
  }

  /** Runs the middleware chain around `endpoint`; an HttpError becomes its reply. */
  async #run(c: Context, endpoint: Handler): Promise<Reply> {
    const chain = (i: number): Promise<Reply> => {
      if (i === this.#middleware.length) return Promise.resolve(endpoint(c));
      return Promise.resolve(this.#middleware[i](c, () => chain(i + 1)));
    };
    try {
      return await chain(0);
    } catch (error) {
      if (error instanceof HttpError) return error.reply;
      if (error instanceof ValidationError) return errorReply(400, error.message, error.issues);
      throw error;
    }
  }

  /** Answers a host's internal request: authorize a topic subscriber, render an event, run a handler. */
  async #internal(data: RequestData, call: InternalCall): Promise<Reply> {
    const done: Reply = { status: 204, headers: [], body: null };
    if (call.kind === "on") {
      const subscription = this.#live.subscriptions.get(call.name);
      if (subscription === undefined) {
        return { status: 404, headers: [], body: `No subscription "${call.name}"` };
      }
      await subscription.handler(call.event, new Context(data));
      return done;
    }
    const topic = this.#live.topics.get(call.topic);
    if (topic === undefined) return { status: 404, headers: [], body: `No topic "${call.topic}"` };
    if (call.kind === "authorize") {
      const authorize = topic.options.authorize;
      return await this.#run(new Context(data), async (c) => {
        if (authorize !== undefined && !(await authorize(c))) return c.text("Forbidden", 403);
        return done;
      });
    }
    const rendered = await topic.options.render!(call.event);
    const result = rendered instanceof Html ? rendered.value : rendered;
    const elements = (result as { elements?: unknown } | null)?.elements;
    const value = elements instanceof Html ? { ...(result as object), elements: elements.value } : result;
    return { status: 200, headers: [], body: encodeTagged({ result: value ?? null }) };
  }
}

function serveAsset(asset: Asset, data: RequestData): Reply {
  const headers: [string, string][] = [["etag", asset.etag], [
    "cache-control",
    "public, max-age=0, must-revalidate",
  ]];
  const inm = data.headers.find(([k]) => k.toLowerCase() === "if-none-match")?.[1];
  if (inm === asset.etag) return { status: 304, headers, body: null };
  return { status: 200, headers: [["content-type", asset.contentType], ...headers], body: asset.body };
}

/** A new application. */
export function createApp(): App {
  return new App();
}
