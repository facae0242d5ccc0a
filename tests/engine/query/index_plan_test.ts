/**
 * Index scans answer exactly like full scans: the same random documents go into two databases, one
 * with secondary indexes of every kind (single, compound with mixed directions, nested path, array
 * elements / multikey, unique) and one without; ≥ 1,500 random queries must return identical
 * results, and explain must show the index on queries it can serve.
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { testSeed } from "../../_util/random.ts";
import { batch, type Database, executeQuery, openDatabase, type WriteOp } from "../../../engine/mod.ts";
import type { QueryDocument } from "../../../protocol/query_document.ts";
import { QueryGenerator, randomDocument } from "./differential_gen.ts";
import { Random } from "./random_values.ts";

const DOCS = 1_000;
const QUERIES = 1_500;
const INDEXES: [string, { path: string; direction: "asc" | "desc" }[], boolean][] = [
  ["by_n", [{ path: "n", direction: "asc" }], false],
  ["by_s", [{ path: "s", direction: "desc" }], false],
  ["by_cat_score", [{ path: "cat", direction: "asc" }, { path: "score", direction: "desc" }], false],
  ["by_nested_x", [{ path: "nested.x", direction: "asc" }], false],
  ["by_tags", [{ path: "tags", direction: "asc" }], false],
  ["by_items_qty", [{ path: "items.qty", direction: "asc" }], false],
  ["by_d", [{ path: "d", direction: "asc" }], false],
  ["by_serial", [{ path: "serial", direction: "asc" }], true],
];

/** A query's result, or its error code (both databases must fail the same way). */
async function outcome(db: Database, query: QueryDocument): Promise<unknown> {
  try {
    return await executeQuery(db, query);
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}

async function load(db: Database, docs: WriteOp[]): Promise<void> {
  await db.createStore("t");
  for (let i = 0; i < docs.length; i += 250) await batch(db, docs.slice(i, i + 250));
}

Deno.test("index scans return exactly what full scans return, for every index kind", async () => {
  const seed = testSeed();
  const random = new Random(seed);
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const [plain, indexed] = await Promise.all(dirs.map((d) => openDatabase(d, { memtableBytes: 128 * 1024 })));
  try {
    const docs: WriteOp[] = [];
    const keys: string[] = [];
    for (let i = 0; i < DOCS; i++) {
      const doc = randomDocument(random);
      const key = (BigInt(i + 1) * 0x9e3779b97f4a7c15n % (1n << 128n)).toString(16).padStart(32, "0");
      keys.push(key);
      docs.push({ op: "put", store: "t", key, doc: { ...doc, serial: i } });
    }
    await load(plain, docs);
    await load(indexed, docs);
    for (const [name, fields, unique] of INDEXES) await indexed.createIndex(name, "t", fields, { unique });
    await indexed.flush(); // entries in the B+tree and in the memtable
    await batch(
      indexed,
      docs.slice(0, 50).map((op) => ({ ...op, doc: { ...(op as { doc: object }).doc, extra: 1 } })),
    );
    await batch(
      plain,
      docs.slice(0, 50).map((op) => ({ ...op, doc: { ...(op as { doc: object }).doc, extra: 1 } })),
    );
    const generator = new QueryGenerator(random, keys);
    let usedIndex = 0;
    for (let q = 0; q < QUERIES; q++) {
      const query = generator.query() as QueryDocument & { store: string };
      query.store = "t";
      const label = `seed ${seed} query ${q}: ${JSON.stringify(query)}`;
      const want = await outcome(plain, query);
      const got = await outcome(indexed, query);
      assertEquals(got, want, label);
      if (query.op === "find" || query.op === "count" || query.op === "aggregate") {
        const plan = await outcome(indexed, { op: "explain", query }) as { index?: string | null };
        if (plan.index) usedIndex++;
      }
    }
    assert(usedIndex > QUERIES / 20, `seed ${seed}: indexes served only ${usedIndex} queries`);
    const plan = await executeQuery(indexed, {
      op: "explain",
      query: {
        op: "find",
        store: "t",
        filter: { field: "cat", op: "eq", value: "a" },
        orderBy: [{ field: "score", direction: "desc" }],
        limit: 5,
      },
    }) as { plan: string; index: string; orderBy: string };
    assertEquals([plan.plan, plan.index, plan.orderBy], ["index_scan", "by_cat_score", "index_order"]);
  } finally {
    await plain.close();
    await indexed.close();
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  }
});
