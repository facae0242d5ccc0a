/**
 * Authorization: every op names the access it needs (read, write or admin) and the stores it
 * touches; the session's role must grant the access, and system stores (names starting with "sys")
 * are readable by admins only and writable by no wire op at all (the user ops change "sysusers"
 * through host/auth.ts).
 *
 * Invariants: checks run before the op does anything; a refused op has no effect; the answer
 * depends only on the role, the op and its stores.
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
