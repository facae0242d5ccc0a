/**
 * Metamorphic test of the one write path (in the spirit of Pebble's): one seeded sequence of inserts,
 * replaces, updates and deletes over a few keys of a store with a unique index is issued through three
 * APIs against three fresh databases — the Store API, query documents (what PQL, the wire `query` op,
 * the builder and services run) and `transaction(fn)` — and every run must end with identical contents
 * and the same outcome for every operation. Outcomes are normalized where the APIs differ by design:
 * an update, replace or delete of a missing key is `missing` (the Store API throws `not_found` or returns
 * false; a query document matches nothing).
 */
import { assertEquals } from "../_util/assert.ts";
import { withDatabase, withTempDir } from "../_util/temp_db.ts";
import { forEachSeed, seededRandom } from "../_util/random.ts";
import { type Database } from "../../engine/db/database.ts";
import { Store } from "../../engine/db/store.ts";
import { transaction } from "../../engine/tx/transaction.ts";
import { executeQuery } from "../../engine/exec/executor.ts";
import { PlanckError } from "../../protocol/errors.ts";

const OPS = 400;
const KEYS = Array.from({ length: 8 }, (_, i) => (i + 1).toString(16).padStart(32, "0"));
const STORE = "m";

type Op =
  | { kind: "insert" | "replace"; key: string; doc: { u: number; n: number } }
  | { kind: "update"; key: string; set: { u?: number; n?: number } }
  | { kind: "delete"; key: string };

function ops(seed: number): Op[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  return Array.from({ length: OPS }, (_, n): Op => {
    const key = pick(KEYS);
    const u = 1 + Math.floor(random() * 6); // few values: unique conflicts are frequent
    switch (pick(["insert", "insert", "replace", "update", "update", "delete"] as const)) {
      case "insert":
        return { kind: "insert", key, doc: { u, n } };
      case "replace":
        return { kind: "replace", key, doc: { u, n } };
      case "update":
        return { kind: "update", key, set: random() < 0.5 ? { u } : { n } };
      case "delete":
        return { kind: "delete", key };
    }
  });
}

type Api = (db: Database, op: Op) => Promise<"ok" | "missing">;

const storeApi: Api = async (db, op) => {
  const store = new Store(db, STORE);
  try {
    if (op.kind === "insert") await store.insert(op.doc, { key: op.key });
    else if (op.kind === "replace") await store.replace(op.key, op.doc);
    else if (op.kind === "update") await store.update(op.key, op.set);
    else return (await store.delete(op.key)) ? "ok" : "missing";
    return "ok";
  } catch (error) {
    if (error instanceof PlanckError && error.code === "not_found") return "missing";
    throw error;
  }
};

const queryApi: Api = async (db, op) => {
  if (op.kind === "insert") {
    await executeQuery(db, { op: "insert", store: STORE, documents: [{ key: op.key, ...op.doc }] });
    return "ok";
  }
  const result = op.kind === "replace"
    ? await executeQuery(db, { op: "replace", store: STORE, key: op.key, document: op.doc })
    : op.kind === "update"
    ? await executeQuery(db, { op: "update", store: STORE, key: op.key, set: op.set })
    : await executeQuery(db, { op: "delete", store: STORE, key: op.key });
  const counts = Object.values(result as Record<string, number>);
  return counts.some((count) => count > 0) ? "ok" : "missing";
};

const transactionApi: Api = async (db, op) => {
  try {
    return await transaction(db, (tx) => {
      const store = tx.store(STORE);
      if (op.kind === "insert") store.insert(op.doc, { key: op.key });
      else if (op.kind === "replace") store.replace(op.key, op.doc);
      else if (op.kind === "update") store.update(op.key, op.set);
      else return store.delete(op.key) ? "ok" : "missing";
      return "ok";
    });
  } catch (error) {
    if (error instanceof PlanckError && error.code === "not_found") return "missing";
    throw error;
  }
};

async function run(
  dir: string,
  api: Api,
  sequence: Op[],
): Promise<{ outcomes: string[]; contents: unknown }> {
  return await withDatabase(dir, {}, async (db) => {
    await db.createStore(STORE);
    await db.createIndex("m_u", STORE, [{ path: "u", direction: "asc" }], { unique: true });
    const outcomes: string[] = [];
    for (const op of sequence) {
      try {
        outcomes.push(await api(db, op));
      } catch (error) {
        outcomes.push(error instanceof PlanckError ? `error ${error.code}` : `threw ${error}`);
      }
    }
    const contents = new Store(db, STORE).scan().map(({ key, doc }) => [key, doc]);
    return { outcomes, contents };
  });
}

Deno.test("metamorphic: Store API, query documents and transactions end in the same contents and outcomes", async () => {
  await forEachSeed("metamorphic write paths", async (seed) => {
    const sequence = ops(seed);
    const results = [];
    for (const api of [storeApi, queryApi, transactionApi]) {
      results.push(await withTempDir((dir) => run(dir, api, sequence)));
    }
    const names = ["query documents", "transaction(fn)"];
    for (const [i, other] of results.slice(1).entries()) {
      for (let n = 0; n < OPS; n++) {
        assertEquals(
          other.outcomes[n],
          results[0].outcomes[n],
          `${names[i]} vs Store API, op ${n} ${JSON.stringify(sequence[n])}`,
        );
      }
      assertEquals(other.contents, results[0].contents, `${names[i]} vs Store API: final contents`);
    }
    const conflicts = results[0].outcomes.filter((o) => o === "error conflict").length;
    assertEquals(
      conflicts > 0,
      true,
      `seed ${seed}: the sequence hits the unique index (${conflicts} conflicts)`,
    );
  });
});
