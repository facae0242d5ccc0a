/**
 * Authorization: every op names the access it needs (read, write or admin) and the stores it
 * touches; the session's role must grant the access, and system stores (names starting with "sys")
 * are readable by admins only and writable by no wire op at all (the user ops change "sysusers"
 * through host/auth.ts). A service's stores (`<app>__<store>`, docs/security.md "Store
 * permissions") are readable and writable only by admins and by users granted that app (within
 * their role); the service itself reaches them through its sandbox, never through this check.
 *
 * Invariants: checks run before the op does anything; a refused op has no effect; the answer
 * depends only on the role, the grants, the op and its stores.
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { QueryDocument } from "../../protocol/query_document.ts";
import { type Role, roleAtLeast, type UserInfo } from "../auth.ts";

/** What an op needs. */
export type Access = "read" | "write" | "admin" | "replicate";

/** The weakest role that grants each access. */
export const ACCESS_ROLE: Record<Access, Role> = {
  read: "read_only",
  write: "read_write",
  admin: "admin",
  replicate: "replication",
};

/** True for names reserved for the system. */
export function isSystemStore(store: string): boolean {
  return store.toLowerCase().startsWith("sys");
}

/**
 * The app (service) that owns `store`, or null for a store of no app. A service's engine stores
 * are `<service>__<name>` where the service name has no "__" and the guest name starts with a
 * letter (host/guest/sandbox.ts), so the owner ends at the first "__" followed by a letter. Any
 * other name holding "__" belongs to no deployable service and gets the owner "" (admins only).
 */
export function appOfStore(store: string): string | null {
  let at = store.indexOf("__");
  if (at < 0) return null;
  while (at >= 0) {
    if (/[A-Za-z]/.test(store.charAt(at + 2))) return store.slice(0, at);
    at = store.indexOf("__", at + 1);
  }
  return "";
}

/** True when `user` may reach `store` at all (system and app rules; not the role's access). */
export function mayReach(user: UserInfo, store: string, access: Access): boolean {
  if (user.role === "admin") return access === "read" || !isSystemStore(store);
  if (isSystemStore(store)) return false;
  const app = appOfStore(store);
  return app === null || (app !== "" && (user.apps ?? []).includes(app));
}

/**
 * Checks that `user` may do `need.what`, which needs `need.access` on `need.stores`.
 * @throws PlanckError `forbidden` naming the op, the role needed and the user's role
 */
export function authorize(
  user: UserInfo,
  need: { access: Access; what: string; stores?: readonly string[] },
): void {
  const { access, what, stores = [] } = need;
  const needed = ACCESS_ROLE[access];
  if (!roleAtLeast(user.role, needed)) {
    throw new PlanckError(
      "forbidden",
      `Forbidden: ${what} needs role "${needed}" but user "${user.name}" has "${user.role}"`,
    );
  }
  for (const store of stores) {
    if (!isSystemStore(store)) continue;
    if (access !== "read") {
      throw new PlanckError("forbidden", `Forbidden: store "${store}" is reserved for the system`, {
        field: "store",
      });
    }
    if (user.role !== "admin") {
      throw new PlanckError("forbidden", `Forbidden: store "${store}" is readable by admins only`, {
        field: "store",
      });
    }
  }
  if (user.role === "admin") return;
  for (const store of stores) {
    const app = appOfStore(store);
    if (app === null || (app !== "" && (user.apps ?? []).includes(app))) continue;
    throw new PlanckError(
      "forbidden",
      app === ""
        ? `Forbidden: store "${store}" is reserved for services ("__" in its name)`
        : `Forbidden: store "${store}" belongs to service "${app}" and user "${user.name}" is not granted it`,
      { field: "store" },
    );
  }
}

/** The access a query document needs and the stores it touches. */
export function queryAccess(query: QueryDocument): { access: Access; stores: string[] } {
  switch (query.op) {
    case "find":
    case "get":
    case "count":
    case "aggregate":
    case "showIndexes":
      return { access: "read", stores: [query.store] };
    case "showStores":
      return { access: "read", stores: [] };
    case "explain":
      return { access: "read", stores: [query.query.store] };
    case "insert":
    case "update":
    case "delete":
    case "replace":
    case "createStore":
    case "createIndex":
      return { access: "write", stores: [query.store] };
    case "dropStore":
      return { access: "admin", stores: [query.store] };
    case "dropIndex":
      return { access: "admin", stores: [] };
  }
}
