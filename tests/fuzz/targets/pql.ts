/**
 * PQL text, executed: mutated statements (tests/fuzz/pql_mutate.ts) parsed, validated and run against a
 * real database with documents and indexes. Each statement is refused with a PlanckError of a stable code
 * or runs; after the run the database closes, reopens and holds exactly what it held before closing.
 */
import { type Database, openDatabase } from "../../../engine/db/database.ts";
import { Store } from "../../../engine/db/store.ts";
import { parsePql } from "../../../engine/pql/mod.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import { validateQuery } from "../../../engine/query/validate.ts";
import { type FuzzTarget, int, refusedOrDone } from "../harness.ts";
import { pqlStatement } from "../pql_mutate.ts";
import { reopenUnchanged } from "./db_contents.ts";

interface Ctx {
  dir: string;
  db: Database;
}

const STATUSES = ["open", "paid", "stale", "cancelled"];

/** Recreates the stores the corpus names when a dropped them, with a few documents. */
async function ensureStores(db: Database, random: () => number): Promise<void> {
  for (const name of ["orders", "users"]) {
    if (db.hasStore(name)) continue;
    await db.createStore(name);
    const store = new Store(db, name);
    for (let i = 0; i < 20; i++) {
      await store.insert({
        status: STATUSES[int(random, STATUSES.length)],
        amount: int(random, 1000) / 10,
        created: new Date(Date.UTC(2026, 0, 1 + int(random, 60))),
        tags: int(random, 2) === 0 ? ["vip"] : [],
        customer: { country: int(random, 2) === 0 ? "DE" : "FR" },
        email: `u${i}@example.com`,
      });
    }
  }
}

export const pqlTarget: FuzzTarget<Ctx> = {
  name: "pql",
  description: "mutated PQL statements executed against a real database: a PlanckError or a result",
  ciCases: 600,
  async setup() {
    const dir = await Deno.makeTempDir({ prefix: "planck_fuzz_pql_" });
    return { dir, db: await openDatabase(dir, { walPreallocateBytes: 0, durability: "sync" }) };
  },
  async one(ctx, random) {
    await ensureStores(ctx.db, random);
    const text = pqlStatement(random);
    await refusedOrDone(
      `PQL ${JSON.stringify(text)}`,
      () => executeQuery(ctx.db, validateQuery(parsePql(text))),
    );
  },
  teardown: reopenUnchanged,
};
