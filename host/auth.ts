/**
 * Users, roles and logins. Users live in the system store "sysusers", one document per user under
 * a key derived from the name: `{ name, role, hash, createdAt, keyRotatedAt, apps? }`, where `hash`
 * is the scrypt hash of the user's key (key_hash.ts) and `apps` the services whose stores the user
 * is granted (host/wire/authorize.ts). Keys themselves are never stored.
 *
 * Invariants: there is always at least one admin once bootstrapped (the last admin cannot be
 * dropped or demoted); a login either returns the user or fails with the same message whether the
 * user exists or not (an unknown user still costs one scrypt); a verified key is remembered only
 * as a sha-256 digest bound to the stored hash, so rotating a key or dropping a user invalidates it.
 */
import type { Buffer } from "node:buffer";
import type { Database } from "../engine/db/database.ts";
import type { Document } from "../engine/document.ts";
import { PlanckError } from "../protocol/errors.ts";
import { Store } from "../engine/db/store.ts";
import { digestsEqual, fastDigest, generateKey, hashKey, userDocumentKey, verifyKey } from "./key_hash.ts";
import { USER_APPS_MAX, USER_NAME_LENGTH_MAX, USERS_MAX } from "./limits.ts";

/** The system store holding users. */
export const USERS_STORE = "sysusers";
/** The user created on first start. */
export const ADMIN_USER = "admin";

/** Roles: the ladder weakest first, then `replication`, which stands outside it. */
export const ROLES = ["read_only", "read_write", "admin", "replication"] as const;
/**
 * A user's role: read_only reads, read_write also writes, admin also manages users and the system;
 * replication may only stream the WAL to a replica (the `replicate` op) and nothing else.
 */
export type Role = typeof ROLES[number];
/** The roles that form a ladder (each grants what the ones before it grant). */
const LADDER: readonly Role[] = ["read_only", "read_write", "admin"];

/** What callers may see of a user. */
export interface UserInfo {
  name: string;
  role: Role;
  createdAt: Date;
  keyRotatedAt: Date;
  /** Services whose stores this user may reach within its role (sorted; absent: none). */
  apps?: readonly string[];
}

interface UserRecord extends UserInfo {
  hash: string;
}

const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;

/** True when `role` grants at least `needed`. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  if (needed === "replication") return role === "replication" || role === "admin";
  if (role === "replication") return false;
  return LADDER.indexOf(role) >= LADDER.indexOf(needed);
}

/** Checks a role name. @throws PlanckError `invalid_argument` */
export function parseRole(value: unknown, field = "role"): Role {
  if (typeof value === "string" && (ROLES as readonly string[]).includes(value)) return value as Role;
  throw new PlanckError(
    "invalid_argument",
    `Invalid role "${String(value).slice(0, 40)}": expected one of ${ROLES.join(", ")}`,
    {
      field,
    },
  );
}

/** Checks a user name. @throws PlanckError `invalid_argument` */
export function parseUserName(value: unknown, field = "user"): string {
  if (typeof value === "string" && value.length <= USER_NAME_LENGTH_MAX && USER_NAME.test(value)) {
    return value;
  }
  throw new PlanckError(
    "invalid_argument",
    `Invalid user name "${
      String(value).slice(0, 80)
    }": use letters, digits and "_.@-", at most ${USER_NAME_LENGTH_MAX} characters`,
    { field },
  );
}

/** The users of one database. Create with `Users.open`. */
export class Users {
  readonly #db: Database;
  readonly #store: Store;
  /** Digests of keys verified since start, by user name. */
  readonly #verified = new Map<string, Buffer>();
  /** scrypt runs in progress, by user and key digest. */
  readonly #verifying = new Map<string, Promise<boolean>>();
  #generation = 0;
  #dummyHash: Promise<string> | undefined;

  private constructor(db: Database) {
    this.#db = db;
    this.#store = new Store(db, USERS_STORE);
  }

  /** Opens the users of `db`, creating the system store on first use. */
  static async open(db: Database): Promise<Users> {
    await db.createStore(USERS_STORE, { ifNotExists: true, system: true });
    return new Users(db);
  }

  /** On first start (no admin exists) creates the admin user; returns its key, else null. */
  async bootstrap(): Promise<string | null> {
    if (this.list().some((user) => user.role === "admin")) return null;
    if (this.#record(ADMIN_USER) !== undefined) {
      await this.setRole(ADMIN_USER, "admin");
      return await this.rotate(ADMIN_USER);
    }
    return await this.create(ADMIN_USER, "admin");
  }

  /** Users, sorted by name. */
  list(): UserInfo[] {
    return this.#store.scan({ limit: USERS_MAX }).map(({ doc }) => publicInfo(toRecord(doc)))
      .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** One user, or undefined. */
  get(name: string): UserInfo | undefined {
    const record = this.#record(name);
    return record === undefined ? undefined : publicInfo(record);
  }

  /** Creates a user; returns its key (shown once). @throws PlanckError `conflict`, `limit_exceeded` */
  async create(name: string, role: Role): Promise<string> {
    parseUserName(name);
    parseRole(role);
    if (this.#record(name) !== undefined) {
      throw new PlanckError("conflict", `User "${name}" already exists`, { field: "user" });
    }
    if (this.#store.scanRaw({ limit: USERS_MAX }).length >= USERS_MAX) {
      throw new PlanckError("limit_exceeded", `Too many users: the limit USERS_MAX is ${USERS_MAX}`, {
        limit: "USERS_MAX",
      });
    }
    const key = generateKey();
    const now = new Date();
    const record: UserRecord = { name, role, hash: await hashKey(key), createdAt: now, keyRotatedAt: now };
    await this.#store.insert(record as unknown as Document, { key: userDocumentKey(name) });
    this.#generation++;
    return key;
  }

  /** Drops a user. @throws PlanckError `not_found`, `conflict` (the last admin) */
  async drop(name: string): Promise<void> {
    const record = this.#require(name);
    if (record.role === "admin") this.#checkNotLastAdmin(name, "drop");
    await this.#store.delete(userDocumentKey(name));
    this.#verified.delete(name);
    this.#generation++;
  }

  /** Changes a user's role. @throws PlanckError `not_found`, `conflict` (demoting the last admin) */
  async setRole(name: string, role: Role): Promise<void> {
    parseRole(role);
    const record = this.#require(name);
    if (record.role === "admin" && role !== "admin") this.#checkNotLastAdmin(name, "demote");
    await this.#store.update(userDocumentKey(name), { role });
    this.#generation++;
  }

  /** Grants (`granted` true) or revokes a user's access to an app's stores; returns the user's apps. */
  async setGrant(name: string, app: string, granted: boolean): Promise<string[]> {
    const record = this.#require(name);
    const apps = new Set(record.apps ?? []);
    if (granted) {
      if (!apps.has(app) && apps.size >= USER_APPS_MAX) {
        throw new PlanckError(
          "limit_exceeded",
          `Too many apps granted to "${name}": the limit USER_APPS_MAX is ${USER_APPS_MAX}`,
          {
            limit: "USER_APPS_MAX",
          },
        );
      }
      apps.add(app);
    } else apps.delete(app);
    const sorted = [...apps].sort();
    await this.#store.update(userDocumentKey(name), { apps: sorted });
    this.#generation++;
    return sorted;
  }

  /** Replaces a user's key; returns the new key (shown once). The old key stops working at once. */
  async rotate(name: string): Promise<string> {
    this.#require(name);
    const key = generateKey();
    const hash = await hashKey(key);
    this.#verified.delete(name);
    await this.#store.update(userDocumentKey(name), { hash, keyRotatedAt: new Date() });
    this.#generation++;
    return key;
  }

  /** The user whose key this is, or null. Costs one scrypt unless the key was verified before. */
  async verify(name: string, key: string): Promise<UserInfo | null> {
    const record = typeof name === "string" && USER_NAME.test(name) ? this.#record(name) : undefined;
    if (record === undefined) {
      this.#dummyHash ??= hashKey(generateKey());
      await verifyKey(key, await this.#dummyHash); // same cost as a real user: no user enumeration by timing
      return null;
    }
    const digest = fastDigest(key, record.hash);
    const known = this.#verified.get(name);
    if (known !== undefined && digestsEqual(known, digest)) return publicInfo(record);
    const pendingKey = `${name}\0${digest.toString("hex")}`;
    let pending = this.#verifying.get(pendingKey);
    if (pending === undefined) {
      pending = verifyKey(key, record.hash).finally(() => this.#verifying.delete(pendingKey));
      this.#verifying.set(pendingKey, pending); // concurrent logins with one key share one scrypt
    }
    if (!(await pending)) return null;
    const current = this.#record(name); // the user may have changed while scrypt ran
    if (current === undefined || current.hash !== record.hash) return null;
    this.#verified.set(name, digest);
    return publicInfo(current);
  }

  /** Forgets verified keys and bumps the generation: users changed underneath (a replica applied them). */
  invalidate(): void {
    this.#verified.clear();
    this.#generation++;
  }

  /** Bumped by every change to any user: sessions re-read their user when it moves. */
  get generation(): number {
    return this.#generation;
  }

  /** The database these users belong to. */
  get db(): Database {
    return this.#db;
  }

  #record(name: string): UserRecord | undefined {
    const doc = this.#store.get(userDocumentKey(name));
    return doc === undefined ? undefined : toRecord(doc);
  }

  #require(name: string): UserRecord {
    const record = this.#record(parseUserName(name));
    if (record === undefined) throw new PlanckError("not_found", `Unknown user "${name}"`, { field: "user" });
    return record;
  }

  #checkNotLastAdmin(name: string, action: string): void {
    const admins = this.list().filter((user) => user.role === "admin");
    if (admins.length <= 1) {
      throw new PlanckError("conflict", `Cannot ${action} "${name}": it is the last admin`, {
        field: "user",
      });
    }
  }
}

function toRecord(doc: Document): UserRecord {
  return {
    name: String(doc.name),
    role: parseRole(doc.role),
    hash: String(doc.hash),
    createdAt: doc.createdAt as Date,
    keyRotatedAt: doc.keyRotatedAt as Date,
    apps: Array.isArray(doc.apps) ? doc.apps.map(String) : [],
  };
}

function publicInfo(record: UserRecord): UserInfo {
  return {
    name: record.name,
    role: record.role,
    createdAt: record.createdAt,
    keyRotatedAt: record.keyRotatedAt,
    apps: record.apps ?? [],
  };
}
