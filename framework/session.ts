/**
 * Cookie sessions kept in the service's own store: `app.use(sessions())`, then
 * `c.vars.session.get("user")` / `.set("user", …)`. The cookie holds `<key>.<token>`: the key of
 * the session document and a 128-bit random token from the host's CSPRNG, checked on every load.
 *
 * Invariants: a session is written (in the request's transaction) only when it changed; a cookie
 * whose token does not match, or whose session expired, starts a new empty session.
 */
import type { Context, Reply } from "./context.ts";
import type { Document } from "../protocol/query_document.ts";
import { querySync, randomHex } from "./host.ts";

/** Options of `sessions()`. */
export interface SessionOptions {
  /** Store holding sessions (default "sessions"). */
  store?: string;
  /** Cookie name (default "planck_session"). */
  cookie?: string;
  /** Lifetime in seconds (default 7 days). */
  maxAgeS?: number;
}

const SESSION_MAX_AGE_S_DEFAULT = 7 * 24 * 3600;

/** One session's data. */
export class Session {
  readonly #data: Record<string, unknown>;
  #dirty = false;
  constructor(data: Record<string, unknown>) {
    this.#data = data;
  }
  get<T = unknown>(name: string): T | undefined {
    return this.#data[name] as T | undefined;
  }
  set(name: string, value: unknown): void {
    this.#data[name] = value;
    this.#dirty = true;
  }
  delete(name: string): void {
    delete this.#data[name];
    this.#dirty = true;
  }
  /** @internal */
  get dirty(): boolean {
    return this.#dirty;
  }
  /** @internal */
  get data(): Record<string, unknown> {
    return this.#data;
  }
}

interface SessionDoc {
  key: string;
  token: string;
  data: Record<string, unknown>;
  expiresMs: number;
}

/** Session middleware. */
export function sessions(
  options: SessionOptions = {},
): (c: Context, next: () => Promise<Reply>) => Promise<Reply> {
  const storeName = options.store ?? "sessions";
  const cookie = options.cookie ?? "planck_session";
  const maxAgeS = options.maxAgeS ?? SESSION_MAX_AGE_S_DEFAULT;
  return async (c, next) => {
    const [key, token] = (c.req.cookie(cookie) ?? "").split(".");
    let existing: SessionDoc | null = null;
    if (key !== undefined && /^[0-9a-f]{32}$/.test(key) && token !== undefined) {
      const doc = querySync({ op: "get", store: storeName, key }) as SessionDoc | null;
      if (doc !== null && doc.token === token && doc.expiresMs > Date.now()) existing = doc;
    }
    const session = new Session(existing?.data ?? {});
    c.vars.session = session;
    const reply = await next();
    if (!session.dirty) return reply;
    const expiresMs = Date.now() + maxAgeS * 1000;
    let value: string;
    if (existing !== null) {
      querySync({
        op: "replace",
        store: storeName,
        key: existing.key,
        document: { token: existing.token, data: session.data as Document, expiresMs },
      });
      value = `${existing.key}.${existing.token}`;
    } else {
      const fresh = randomHex(16);
      const result = querySync({
        op: "insert",
        store: storeName,
        documents: [{ token: fresh, data: session.data as Document, expiresMs }],
      }) as { inserted: string[] };
      value = `${result.inserted[0]}.${fresh}`;
    }
    const setCookie = `${cookie}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax`;
    return { ...reply, headers: [...reply.headers, ["set-cookie", setCookie]] };
  };
}
