import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { withTempDatabase } from "../../_util/temp_db.ts";
import type { Database } from "../../../engine/db/database.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import { local } from "../../../client/local_transport.ts";
import { Store } from "../../../engine/db/store.ts";
import { type Transaction, transaction } from "../../../engine/tx/transaction.ts";

const k = (n: number): string => n.toString(16).padStart(32, "0");

async function withStore(
  body: (db: Database, store: Store) => Promise<void>,
  memtableBytes?: number,
): Promise<void> {
  await withTempDatabase(async (db) => {
    await db.createStore("docs");
    await body(db, new Store(db, "docs"));
  }, memtableBytes === undefined ? {} : { memtableBytes });
}

/** Yields to the event loop so other tasks (writers) run. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("transaction commits all writes as one group and returns fn's value", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { balance: 100 });
    await store.put(k(2), { balance: 0 });
    const lsn = db.lastLsn;
    const value = await transaction(db, (tx) => {
      const accounts = tx.store("docs");
      const from = accounts.get(k(1))!;
      accounts.update(k(1), { balance: (from.balance as number) - 30 });
      accounts.update(k(2), { balance: (accounts.get(k(2))!.balance as number) + 30 });
      accounts.insert({ log: "moved 30" }, { key: k(3) });
      return "done";
    });
    assertEquals(value, "done");
    assertEquals([store.get(k(1)), store.get(k(2)), store.get(k(3))], [{ balance: 70 }, { balance: 30 }, {
      log: "moved 30",
    }]);
    assert(db.durableLsn >= db.lastLsn, "durable when the promise resolves");
    assert(db.lastLsn > lsn);
  });
});

Deno.test("transaction(db, fn): async fn, one group, rolled back on throw", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { n: 1 });
    const lsn = db.lastLsn;
    const seen = await transaction(db, async (tx) => {
      const docs = tx.store("docs");
      docs.update(k(1), { n: 2 });
      await tick();
      docs.insert({ n: 3 }, { key: k(2) });
      return tx.query({ op: "count", store: "docs" });
    });
    assertEquals(seen, { count: 2 });
    assertEquals(db.lastLsn, lsn + 3, "two frames and one commit marker");
    await assertRejectsCode(
      () =>
        transaction(db, (tx) => {
          tx.store("docs").delete(k(1));
          throw new PlanckError("invalid_argument", "stop");
        }),
      "invalid_argument",
    );
    assertEquals([store.get(k(1)), store.get(k(2))], [{ n: 2 }, { n: 3 }]);
  });
});

Deno.test("transaction reads its own writes in get and in every query", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { n: 1 });
    await store.put(k(2), { n: 2 });
    await store.put(k(3), { n: 3 });
    await transaction(db, (tx) => {
      const docs = tx.store("docs");
      docs.put(k(4), { n: 4 });
      assert(docs.delete(k(2)));
      docs.update(k(3), { n: 30 });
      assertEquals(docs.get(k(4)), { n: 4 });
      assertEquals(docs.get(k(2)), undefined);
      const all = tx.query({ op: "find", store: "docs" }) as { key: string; n: number }[];
      assertEquals(all.map((row) => [row.key, row.n]), [[k(1), 1], [k(3), 30], [k(4), 4]]);
      const desc = tx.query({
        op: "find",
        store: "docs",
        orderBy: [{ field: "key", direction: "desc" }],
        limit: 2,
      });
      assertEquals((desc as { key: string }[]).map((row) => row.key), [k(4), k(3)]);
      assertEquals(tx.query({ op: "count", store: "docs", filter: { field: "n", op: "gte", value: 4 } }), {
        count: 2,
      });
      assertEquals(tx.query({ op: "update", store: "docs", inc: { n: 1 } }), { matched: 3, modified: 3 });
      assertEquals(tx.query({ op: "get", store: "docs", key: k(4) }), { key: k(4), n: 5 });
      assertEquals(
        tx.query({ op: "aggregate", store: "docs", aggregates: { s: { fn: "sum", field: "n" } } }),
        [
          { group: {}, s: 2 + 31 + 5 },
        ],
      );
      assertEquals(store.get(k(4)), undefined, "nothing is visible outside before the commit");
    });
    assertEquals(store.scan().map((e) => e.doc.n), [2, 31, 5]);
  });
});

Deno.test("transaction writes nothing when fn throws, and a failed query inside stages nothing", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { n: 1 });
    await store.put(k(2), { n: "text" });
    const lsn = db.lastLsn;
    await assertRejectsCode(() =>
      transaction(db, (tx) => {
        tx.store("docs").put(k(9), { n: 9 });
        throw new PlanckError("invalid_argument", "handler failed");
      }), "invalid_argument");
    await assertRejectsCode(() =>
      transaction(db, async (tx) => {
        tx.store("docs").put(k(9), { n: 9 });
        await tick();
        throw new PlanckError("internal", "async handler failed");
      }), "internal");
    assertEquals(db.lastLsn, lsn);
    assertEquals(store.get(k(9)), undefined);
    await transaction(db, (tx) => {
      tx.store("docs").put(k(5), { n: 5 });
      let failed = false;
      try {
        tx.query({ op: "update", store: "docs", inc: { n: 1 } }); // k(1) is staged, then k(2) fails
      } catch {
        failed = true;
      }
      assert(failed);
      assertEquals(tx.store("docs").get(k(1)), { n: 1 }, "the failed query left nothing behind");
      assertEquals(tx.store("docs").get(k(5)), { n: 5 }, "earlier writes stay");
    });
    assertEquals([store.get(k(1)), store.get(k(5))], [{ n: 1 }, { n: 5 }]);
  });
});

Deno.test("transaction with a synchronous fn is serializable: concurrent increments never conflict", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { n: 0 });
    const runs = Array.from({ length: 40 }, () =>
      transaction(db, (tx) => {
        const docs = tx.store("docs");
        docs.update(k(1), { n: (docs.get(k(1))!.n as number) + 1 });
      }));
    await Promise.all(runs);
    assertEquals(store.get(k(1)), { n: 40 });
  });
});

Deno.test("transaction with an async fn conflicts when a document it read changed, and a retry succeeds", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { n: 0 });
    const increment = (tx: Transaction) => async () => {
      const docs = tx.store("docs");
      const n = docs.get(k(1))!.n as number;
      await tick(); // other writers run here
      docs.update(k(1), { n: n + 1 });
    };
    const attempts = { conflicts: 0 };
    const withRetry = async () => {
      while (true) {
        try {
          return await transaction(db, (tx) => increment(tx)());
        } catch (error) {
          if (!(error instanceof PlanckError) || error.code !== "conflict") throw error;
          attempts.conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, withRetry));
    assertEquals(store.get(k(1)), { n: 8 }, "no lost update");
    assert(attempts.conflicts > 0, "interleaved read-modify-write conflicted");

    const error = await assertRejectsCode(() =>
      transaction(db, async (tx) => {
        const docs = tx.store("docs");
        docs.get(k(1));
        docs.put(k(2), { other: true });
        await store.put(k(1), { n: -1 }); // a concurrent writer
      }), "conflict");
    assert(error.message.includes(k(1)), error.message);
    assertEquals(store.get(k(2)), undefined, "nothing of the conflicting transaction is written");
    assertEquals(store.get(k(1)), { n: -1 }, "the concurrent write committed");
  });
});

Deno.test("transaction detects phantoms in scanned ranges but not writes outside them", async () => {
  await withStore(async (db, store) => {
    for (let i = 1; i <= 5; i++) await store.put(k(i * 10), { n: i });
    const countThenWrite = (insertAt: number) =>
      transaction(db, async (tx) => {
        const count = tx.query({ op: "count", store: "docs", range: { from: k(10), to: k(40) } }) as {
          count: number;
        };
        await store.put(k(insertAt), { n: 0 });
        tx.store("docs").put(k(99), { seen: count.count });
      });
    await assertRejectsCode(() => countThenWrite(25), "conflict", "appeared in a key range");
    await countThenWrite(45); // outside [k(10), k(40)): no conflict
    assertEquals(store.get(k(99)), { seen: 4 }, "k(25) from the first attempt is counted");
    const limited = transaction(db, async (tx) => {
      const first = tx.query({ op: "find", store: "docs", limit: 2 }) as { key: string }[];
      assertEquals(first.map((row) => row.key), [k(10), k(20)]);
      await store.put(k(35), { n: 0 }); // after the last key the limited scan read
      tx.store("docs").put(k(98), { ok: true });
    });
    await limited;
    assertEquals(store.get(k(98)), { ok: true }, "a key-ordered find with a limit covers only what it read");
    await assertRejectsCode(() =>
      transaction(db, async (tx) => {
        tx.query({ op: "find", store: "docs", filter: { field: "n", op: "eq", value: 2 } });
        await store.update(k(30), { n: 2 }); // a document it examined changed
        tx.store("docs").put(k(97), { wrote: true }); // (a read-only one would be ordered before it)
      }), "conflict");
  });
});

Deno.test("transaction validates read-only transactions, dropped stores and flushed documents", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { n: 1 });
    await assertRejectsCode(() =>
      transaction(db, async (tx) => {
        tx.store("docs").get(k(1));
        await store.put(k(1), { n: 2 });
        tx.store("docs").get(k(1));
      }), "conflict");
    await db.createStore("other");
    await assertRejectsCode(
      () =>
        transaction(db, async (tx) => {
          tx.store("other").put(k(1), { x: 1 });
          await db.dropStore("other");
        }),
      "conflict",
      "dropped",
    );
    // A flush moves the document to the tiers (a new bytes object, equal bytes): still current.
    const value = await transaction(db, async (tx) => {
      const seen = tx.store("docs").get(k(1));
      await store.put(k(7), { unrelated: true });
      await db.flush();
      tx.store("docs").put(k(8), { copied: seen! });
      return seen;
    });
    assertEquals(value, { n: 2 });
    assertEquals(store.get(k(8)), { copied: { n: 2 } });
  }, 64 * 1024);
});

Deno.test("a read-only transaction whose reads all ran before another commit never conflicts", async () => {
  await withStore(async (db, store) => {
    await store.put(k(1), { n: 1 });
    await store.put(k(2), { n: 1 });
    // Both reads see the state the transaction began on; the write lands after them: no conflict.
    const seen = await transaction(db, async (tx) => {
      const docs = [tx.store("docs").get(k(1)), tx.store("docs").get(k(2))];
      await store.put(k(1), { n: 2 });
      return docs;
    });
    assertEquals(seen, [{ n: 1 }, { n: 1 }]);
    // A read after the write sees a second state: validated, and the first read is stale.
    await assertRejectsCode(() =>
      transaction(db, async (tx) => {
        tx.store("docs").get(k(1));
        await store.put(k(1), { n: 3 });
        tx.store("docs").get(k(2));
      }), "conflict");
    // A writing transaction is validated even when its reads all came first.
    await assertRejectsCode(() =>
      transaction(db, async (tx) => {
        const doc = tx.store("docs").get(k(1)) as { n: number };
        await store.put(k(1), { n: 4 });
        tx.store("docs").put(k(2), { n: doc.n + 1 });
      }), "conflict");
  });
});

Deno.test("transaction rejects DDL inside, use after the end, and runs builder and executeQuery queries", async () => {
  await withStore(async (db, store) => {
    await transaction(db, (tx) => {
      let code = "";
      try {
        tx.query({ op: "createStore", store: "x" });
      } catch (error) {
        code = (error as PlanckError).code;
      }
      assertEquals(code, "invalid_argument");
    });
    let leaked: Transaction | undefined;
    await transaction(db, (tx) => {
      leaked = tx;
    });
    let threw = false;
    try {
      leaked!.store("docs");
    } catch (error) {
      threw = error instanceof TypeError;
    }
    assert(threw, "a finished transaction throws TypeError");
    await transaction(db, async (tx) => {
      const docs = local(db, { tx }).store<{ n: number }>("docs");
      await docs.insert([{ key: k(1), n: 1 } as { n: number }, { key: k(2), n: 2 } as { n: number }]);
      assertEquals(await docs.count(), 2);
      assertEquals(await executeQuery(db, { op: "count", store: "docs" }, { tx }), { count: 2 });
      assertEquals(await executeQuery(db, { op: "count", store: "docs" }), { count: 0 }, "not yet committed");
    });
    assertEquals(store.scan().length, 2);
  });
});
