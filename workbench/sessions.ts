/**
 * Browser sessions: an opaque random id in an HttpOnly, SameSite=Strict cookie, a per-session CSRF
 * token, an absolute expiry. Sessions live in memory only (a restart logs everyone out).
 *
 * Invariants: ids and tokens are 256-bit random; at most SESSIONS_MAX sessions exist (the oldest
 * goes first); an expired session is never returned; a session stops working when its user is
 * dropped or its key is rotated by someone else (checked against the user's keyRotatedAt).
 */
import { SESSION_TTL_MS, SESSIONS_MAX } from "./limits.ts";

/** The cookie carrying the session id. */
export const SESSION_COOKIE = "planck_session";
/** The header carrying the CSRF token on state-changing requests. */
export const CSRF_HEADER = "x-csrf-token";

/** One logged-in browser. */
export interface Session {
  id: string;
  csrf: string;
  user: string;
  /** The user's keyRotatedAt at login (a later rotation by anyone else ends the session). */
  keyRotatedMs: number;
  expiresMs: number;
}

function token(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** The sessions of one workbench. */
export class Sessions {
  readonly #byId = new Map<string, Session>();

  /** Starts a session for `user`. */
  create(user: string, keyRotatedMs: number): Session {
    const session = {
      id: token(),
      csrf: token(),
      user,
      keyRotatedMs,
      expiresMs: Date.now() + SESSION_TTL_MS,
    };
    this.#byId.set(session.id, session);
    while (this.#byId.size > SESSIONS_MAX) this.#byId.delete(this.#byId.keys().next().value!);
    return session;
  }

  /** The live session with this id, or undefined. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.#byId.get(id);
    if (session === undefined) return undefined;
    if (session.expiresMs <= Date.now()) {
      this.#byId.delete(id);
      return undefined;
    }
    return session;
  }

  /** Ends a session. */
  delete(id: string): void {
    this.#byId.delete(id);
  }

  /** Live sessions (stats). */
  get size(): number {
    return this.#byId.size;
  }
}

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value for a session (empty id and age 0 clear it). */
export function sessionCookie(id: string, maxAgeMs: number, secure: boolean): string {
  const age = Math.max(0, Math.floor(maxAgeMs / 1000));
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${age}${
    secure ? "; Secure" : ""
  }`;
}
