/**
 * Who is asking: every workbench request is authenticated here, by `Authorization: Basic
 * base64(user:key)` (scripts, the CLI) or by the session cookie (browsers); state-changing cookie
 * requests must also carry the session's CSRF token (header `X-CSRF-Token`) and, when the browser
 * sends one, a same-origin `Origin`. Logins go through the wire protocol's lockout (per user and address).
 *
 * Invariants: no request reaches a handler unauthenticated; a refused login does not say whether
 * the user exists; while a user is locked out at that address its keys are not even checked; the role
 * used is the user's current one (read per request), so a demotion applies at once.
 */
import { PlanckError } from "../protocol/errors.ts";
import type { UserInfo } from "../host/auth.ts";
import { parseAuthorization } from "../host/http/admin.ts";
import { loginSubjects } from "../host/lockout.ts";
import { RetryLaterError } from "../protocol/error_document.ts";
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import { CSRF_HEADER, readCookie, type Session, SESSION_COOKIE, type Sessions } from "./sessions.ts";

/** An authenticated caller. */
export interface Principal {
  user: UserInfo;
  /** Set for browser sessions (absent for Basic auth). */
  session?: Session;
  remote: string;
}

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

/**
 * Verifies a user's key under the lockout.
 * @throws PlanckError `unauthorized` (wrong user or key) or RetryLaterError `locked`
 */
export async function login(
  parts: WorkbenchParts,
  name: string,
  key: string,
  remote: string,
): Promise<UserInfo> {
  const subjects = loginSubjects(name, remote);
  const lockedMs = parts.lockout.lockedForMs(subjects);
  if (lockedMs > 0) {
    throw new RetryLaterError(
      "locked",
      `Too many failed logins: try again in ${Math.ceil(lockedMs / 1000)} s`,
      Math.ceil(lockedMs),
    );
  }
  const user = await parts.users.verify(name, key);
  if (user === null) {
    parts.lockout.fail(subjects);
    throw new PlanckError("unauthorized", "Invalid user or key");
  }
  parts.lockout.succeed(subjects);
  return user;
}

/**
 * The caller of `request`, or null when it carries no credentials at all.
 * @throws PlanckError `unauthorized`, `locked`, or `forbidden` (CSRF token or origin wrong)
 */
export async function authenticate(
  parts: WorkbenchParts,
  sessions: Sessions,
  request: Request,
  remote: string,
): Promise<Principal | null> {
  const header = request.headers.get("authorization");
  if (header !== null) {
    const credentials = parseAuthorization(header);
    if (credentials === null) throw new PlanckError("unauthorized", "Malformed Authorization header");
    return { user: await login(parts, credentials.user, credentials.key, remote), remote };
  }
  const session = sessions.get(readCookie(request.headers.get("cookie"), SESSION_COOKIE));
  if (session === undefined) return null;
  const user = parts.users.get(session.user);
  if (user === undefined || user.keyRotatedAt.getTime() !== session.keyRotatedMs) {
    sessions.delete(session.id);
    throw new PlanckError(
      "unauthorized",
      "Your session ended (the user was dropped or its key rotated): log in again",
    );
  }
  if (!SAFE_METHODS.includes(request.method)) checkCsrf(request, session);
  return { user, session, remote };
}

/** Refuses a state-changing cookie request without the session's token or from another origin. */
export function checkCsrf(request: Request, session: Session): void {
  checkOrigin(request);
  const sent = request.headers.get(CSRF_HEADER);
  if (sent === null || !constantTimeEqual(sent, session.csrf)) {
    throw new PlanckError("forbidden", "Forbidden: the CSRF token is missing or wrong (reload the page)", {
      field: CSRF_HEADER,
    });
  }
}

/** Refuses a request whose Origin header names another site. */
export function checkOrigin(request: Request): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  if (origin !== new URL(request.url).origin) {
    throw new PlanckError("forbidden", `Forbidden: cross-origin request from "${origin.slice(0, 100)}"`);
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
