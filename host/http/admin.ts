/**
 * Host endpoints on the app port, under HOST_PATH_PREFIX ("/_planck"), which no service may claim:
 * `GET /_planck/metrics` → per-route service metrics as JSON. Every request must carry an admin
 * user's credentials (`Authorization: Basic base64(user:key)`, or `Bearer user:key`); failed logins
 * count against the same lockout as the wire protocol's.
 *
 * Invariants: nothing is answered before the credentials are verified and the role is admin; the
 * reply to bad credentials does not say whether the user exists.
 */
import type { Users } from "../auth.ts";
import { type Lockout, loginSubjects } from "../lockout.ts";
import type { ServiceRegistry } from "../services/registry.ts";

/** What the host endpoints need. */
export interface AdminContext {
  users: Users;
  lockout: Lockout;
  registry: ServiceRegistry;
}

function json(status: number, body: unknown, id: string, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json", "x-request-id": id, ...extra },
  });
}

/** `user:key` from an Authorization header, or null. */
export function parseAuthorization(header: string | null): { user: string; key: string } | null {
  if (header === null) return null;
  const [scheme, value = ""] = header.trim().split(/\s+/, 2);
  let pair = value;
  if (scheme.toLowerCase() === "basic") {
    try {
      pair = atob(value);
    } catch {
      return null;
    }
  } else if (scheme.toLowerCase() !== "bearer") return null;
  const colon = pair.indexOf(":");
  return colon <= 0 ? null : { user: pair.slice(0, colon), key: pair.slice(colon + 1) };
}

/** Answers a request under /_planck. */
export async function handleAdminRequest(
  ctx: AdminContext,
  request: Request,
  remote: string,
  id: string,
): Promise<Response> {
  const url = new URL(request.url);
  const challenge = { "www-authenticate": 'Basic realm="planck"' };
  const credentials = parseAuthorization(request.headers.get("authorization"));
  if (credentials === null) {
    return json(401, { error: { code: "unauthorized", message: "Credentials required" } }, id, challenge);
  }
  const subjects = loginSubjects(credentials.user, remote);
  const lockedMs = ctx.lockout.lockedForMs(subjects);
  if (lockedMs > 0) {
    const retry = String(Math.ceil(lockedMs / 1000));
    return json(
      429,
      { error: { code: "locked", message: `Too many failed logins: try again in ${retry} s` } },
      id,
      {
        "retry-after": retry,
      },
    );
  }
  const user = await ctx.users.verify(credentials.user, credentials.key);
  if (user === null) {
    ctx.lockout.fail(subjects);
    return json(401, { error: { code: "unauthorized", message: "Invalid user or key" } }, id, challenge);
  }
  ctx.lockout.succeed(subjects);
  if (user.role !== "admin") {
    return json(403, { error: { code: "forbidden", message: `User "${user.name}" is not an admin` } }, id);
  }
  // HEAD arrives here as GET (host/http/server.ts answers it once for every path).
  if (url.pathname === "/_planck/metrics" && request.method === "GET") {
    return json(200, ctx.registry.metrics(), id);
  }
  return json(404, { error: { code: "not_found", message: `No host endpoint ${url.pathname}` } }, id);
}
