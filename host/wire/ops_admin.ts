/**
 * Session and administration ops: authenticate, ping, stats, shutdown and user management
 * (createUser, dropUser, setRole, grant, revoke, rotateKey, listUsers).
 *
 * Invariants: a login is refused without checking the key while that user is locked out at that
 * remote address; a failed login counts against the (user, address) pair only; the reply to a failed login is the same whether
 * or not the user exists. Keys appear only in the reply that created them.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { parseRole, parseUserName, type UserInfo } from "../auth.ts";
import { loginSubjects } from "../lockout.ts";
import { authorize } from "./authorize.ts";
import { validateServiceName } from "../../protocol/abi.ts";
import { RetryLaterError } from "../../protocol/error_document.ts";
import { expectFields, type OpCall, optionalInteger, stringField, WIRE_PROTOCOL_VERSION } from "./request.ts";

/**
 * `authenticate {user, key, protocol?}` → `{user, role, protocol, frameBytes}`: `frameBytes` is the
 * largest frame the server now takes, so the client refuses a larger request itself.
 */
export async function opAuthenticate({ ctx, session, request }: OpCall): Promise<unknown> {
  expectFields(request, ["user", "key", "protocol"]);
  const protocol = optionalInteger(request, "protocol", { min: 1, max: 2 ** 31 - 1 }) ??
    WIRE_PROTOCOL_VERSION;
  if (protocol > WIRE_PROTOCOL_VERSION) {
    throw new PlanckError(
      "invalid_argument",
      `Unsupported protocol version ${protocol}: this server speaks version ${WIRE_PROTOCOL_VERSION}`,
      { field: "protocol" },
    );
  }
  if (session.user !== null) {
    throw new PlanckError("conflict", `This connection is already authenticated as "${session.user.name}"`);
  }
  const name = stringField(request, "user");
  const key = stringField(request, "key");
  const subjects = loginSubjects(name, session.remote);
  const lockedMs = ctx.lockout.lockedForMs(subjects);
  if (lockedMs > 0) {
    throw new RetryLaterError(
      "locked",
      `Too many failed logins: try again in ${Math.ceil(lockedMs / 1000)} s`,
      Math.ceil(lockedMs),
    );
  }
  const user = await ctx.users.verify(name, key);
  if (user === null) {
    ctx.lockout.fail(subjects);
    throw new PlanckError("unauthorized", "Invalid user or key");
  }
  ctx.lockout.succeed(subjects);
  session.user = user;
  const result: Record<string, unknown> = {
    user: user.name,
    role: user.role,
    protocol: WIRE_PROTOCOL_VERSION,
  };
  if (session.frameBytes !== undefined) result.frameBytes = session.frameBytes;
  return result;
}

/** `ping` → `{pong: true, time}`. */
export function opPing({ request }: OpCall): unknown {
  expectFields(request, []);
  return { pong: true, time: new Date() };
}

/** `stats` → database and server counters. */
export function opStats({ ctx, request }: OpCall): unknown {
  expectFields(request, []);
  const db = ctx.db.stats();
  return {
    database: { ...db, durability: ctx.db.durability.mode, changesRetention: ctx.db.changesRetention },
    server: ctx.server.stats(),
  };
}

/** `shutdown` → `{stopping: true}`; the server then drains and stops. */
export function opShutdown({ ctx, request }: OpCall): unknown {
  expectFields(request, []);
  ctx.server.requestShutdown();
  return { stopping: true };
}

/** `createUser {user, role}` → `{user, role, key}`. */
export async function opCreateUser({ ctx, request }: OpCall): Promise<unknown> {
  expectFields(request, ["user", "role"]);
  const name = parseUserName(request.user);
  const role = parseRole(request.role);
  const key = await ctx.users.create(name, role);
  return { user: name, role, key };
}

/** `dropUser {user}` → `{dropped: user}`. */
export async function opDropUser({ ctx, request }: OpCall): Promise<unknown> {
  expectFields(request, ["user"]);
  const name = parseUserName(request.user);
  await ctx.users.drop(name);
  return { dropped: name };
}

/** `setRole {user, role}` → `{user, role}`. */
export async function opSetRole({ ctx, request }: OpCall): Promise<unknown> {
  expectFields(request, ["user", "role"]);
  const name = parseUserName(request.user);
  const role = parseRole(request.role);
  await ctx.users.setRole(name, role);
  return { user: name, role };
}

/** `grant {user, app}` → `{user, apps}`: the user may reach the stores of service `app` within its role. */
export async function opGrant({ ctx, request }: OpCall): Promise<unknown> {
  return await setGrant(ctx, request, true);
}

/** `revoke {user, app}` → `{user, apps}`: the user no longer reaches the stores of service `app`. */
export async function opRevoke({ ctx, request }: OpCall): Promise<unknown> {
  return await setGrant(ctx, request, false);
}

async function setGrant(ctx: OpCall["ctx"], request: OpCall["request"], granted: boolean): Promise<unknown> {
  expectFields(request, ["user", "app"]);
  const name = parseUserName(request.user);
  let app: string;
  try {
    app = validateServiceName(request.app);
  } catch (error) {
    throw new PlanckError("invalid_argument", (error as Error).message.replace("service name", "app"), {
      field: "app",
    });
  }
  return { user: name, apps: await ctx.users.setGrant(name, app, granted) };
}

/** `rotateKey {user}` → `{user, key}`. Admins rotate anyone's key; every user may rotate their own. */
export async function opRotateKey({ ctx, session, request }: OpCall): Promise<unknown> {
  expectFields(request, ["user"]);
  const name = parseUserName(request.user);
  const self = session.user!.name === name;
  if (!self) authorize(session.user!, { access: "admin", what: "rotating another user's key" });
  const key = await ctx.users.rotate(name);
  if (self) session.user = ctx.users.get(name) ?? null; // this session stays signed in
  return { user: name, key };
}

/** `listUsers` → `[{name, role, createdAt, keyRotatedAt, apps}]`. */
export function opListUsers({ ctx, request }: OpCall): UserInfo[] {
  expectFields(request, []);
  return ctx.users.list();
}
