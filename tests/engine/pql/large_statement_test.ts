/**
 * PQL carries what the Store API accepts: a document of nearly DOC_BYTES_MAX goes in through one
 * `insert` statement, and so does a 1,000-document insert (~200 KB of text) — both were refused when
 * the statement limit was 64 KiB.
 */
import { strictEqual } from "node:assert/strict";
import { parsePql } from "../../../engine/pql/mod.ts";
import { executeQuery } from "../../../engine/exec/executor.ts";
import { Store } from "../../../engine/db/store.ts";
import { DOC_BYTES_MAX } from "../../../engine/limits.ts";
import { withDatabase, withTempDir } from "../../_util/temp_db.ts";

Deno.test("a PQL insert carries a document of nearly DOC_BYTES_MAX and a 1,000-document insert", async () => {
  await withTempDir(async (dir) => {
    await withDatabase(dir, {}, async (db) => {
      await db.createStore("big");
      // A string field of DOC_BYTES_MAX minus room for the BSON framing: the largest document Store accepts.
      const text = "x".repeat(DOC_BYTES_MAX - 64);
      await executeQuery(db, parsePql(`big.insert({"body": "${text}"})`));
      const rows = new Store(db, "big").scan();
      strictEqual(rows.length, 1);
      strictEqual((rows[0].doc as { body: string }).body.length, text.length);

      const many = Array.from(
        { length: 1000 },
        (_, i) => `{"n": ${i}, "title": "order number ${i} ${"y".repeat(150)}"}`,
      );
      await executeQuery(db, parsePql(`big.insert([${many.join(", ")}])`));
      strictEqual(new Store(db, "big").scan().length, 1001);
    });
  });
});
