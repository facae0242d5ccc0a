/**
 * Offline access to a data directory (`planck pql --data DIR`, `planck users … --data DIR`): the
 * same query path as the wire's `pql` op, without a server and without authentication (whoever can
 * open the directory's files is its admin). Fails with `locked` while a server holds the directory.
 *
 * Invariants: statements run one at a time, each durable before its result returns; inserts into a
 * missing store create it, as over the wire; the directory is closed (WAL synced) by `close`.
 */
import { type Database, openDatabase } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { parsePql } from "../../engine/pql/mod.ts";
import { executeQuery } from "../../engine/exec/executor.ts";
import { validateQuery } from "../../engine/query/validate.ts";
import { Users } from "../auth.ts";
import { createMissingStores } from "../../engine/db/missing_stores.ts";

/** An open data directory. */
export interface LocalDatabase {
  readonly db: Database;
  readonly users: Users;
  /** Runs one PQL statement. */
  pql(text: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Opens `dir` for offline use. @throws PlanckError `locked` when a server runs on it */
export async function openLocal(dir: string): Promise<LocalDatabase> {
  let db: Database;
  try {
    db = await openDatabase(dir);
  } catch (error) {
    if (error instanceof PlanckError && error.code === "locked") {
      throw new PlanckError("locked", `${error.message}; is a server running on it? Use --connect instead`, {
        file: dir,
      });
    }
    throw error;
  }
  const users = await Users.open(db);
  return {
    db,
    users,
    async pql(text: string): Promise<unknown> {
      const query = validateQuery(parsePql(text));
      const created = query.op === "insert" ? createMissingStores(db, [query.store]) : undefined;
      const [, result] = await Promise.all([created, executeQuery(db, query)]);
      return result;
    },
    close: () => db.close(),
  };
}
