/**
 * BSON documents given to every public write API of the engine: Store insert/put/replace/update/delete,
 * batch(), and transactions — random documents of every BSON type, awkward names and depths, and raw
 * frames (valid, flipped, cut, lying lengths). Each write is refused with a PlanckError of a stable code,
 * leaving the store as it was, or done: then the stored bytes are what was given (encoded by the
 * engine's own encoder) and decode, and no other key changed. After the run the database reopens with
 * exactly the same contents.
 */
import { Buffer } from "node:buffer";
import { type Database, openDatabase } from "../../../engine/db/database.ts";
import { batch, Store, type WriteOp } from "../../../engine/db/store.ts";
import { transaction } from "../../../engine/tx/transaction.ts";
import { decodeDocument, type Document, encodeDocument } from "../../../engine/document.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { type KeyInput, parseKey } from "../../../engine/key.ts";
import { awkwardDocument, bsonDocument, bsonFrame } from "../bson_values.ts";
import { type FuzzTarget, int, pick, refusedOrDone } from "../harness.ts";
import { contents, difference, reopenUnchanged } from "./db_contents.ts";

const STORE = "docs";

interface Ctx {
  dir: string;
  db: Database;
  store: Store;
  /** Keys written so far (to update, replace and delete existing documents too). */
  keys: string[];
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

function keyInput(random: () => number, ctx: Ctx): KeyInput {
  if (ctx.keys.length > 0 && random() < 0.5) return pick(random, ctx.keys);
  return pick<KeyInput>(random, [
    (int(random, 2 ** 31)).toString(16).padStart(32, "0"),
    BigInt(int(random, 2 ** 31)),
    "0x" + int(random, 1000).toString(16),
    "",
    "0x",
    "zz",
    "f".repeat(33),
    -1n,
    1n << 128n,
    new Uint8Array(16).fill(int(random, 256)),
    new Uint8Array(int(random, 20)),
  ]);
}

function document(random: () => number): Document | Uint8Array {
  return random() < 0.3 ? bsonFrame(random) : awkwardDocument(random) as Document;
}

function randomOp(random: () => number, ctx: Ctx): WriteOp {
  const key = keyInput(random, ctx);
  switch (int(random, 5)) {
    case 0:
      return { op: "insert", store: STORE, doc: document(random), key: random() < 0.5 ? undefined : key };
    case 1:
      return { op: "put", store: STORE, key, doc: document(random) };
    case 2:
      return { op: "replace", store: STORE, key, doc: document(random) };
    case 3:
      return { op: "update", store: STORE, key, set: bsonDocument(random, 2) as Document };
    default:
      return { op: "delete", store: STORE, key };
  }
}

/** The bytes the engine should store for a document the caller gave, when it accepts it. */
function expectedBytes(doc: Document | Uint8Array): string | undefined {
  try {
    return hex(doc instanceof Uint8Array ? doc : encodeDocument(doc));
  } catch {
    return undefined;
  }
}

/** Runs `ops` through one of the write APIs; the keys written (null: nothing), or the refusal. */
async function write(
  random: () => number,
  ctx: Ctx,
  ops: WriteOp[],
): Promise<(string | null)[] | PlanckError> {
  const how = ops.length > 1 ? int(random, 2) : int(random, 3);
  return await refusedOrDone(`${["batch", "transaction", "store"][how]} ${describeOps(ops)}`, async () => {
    if (how === 0) return (await batch(ctx.db, ops)).keys;
    if (how === 1) {
      return await transaction(ctx.db, (tx) => {
        const store = tx.store(STORE);
        return ops.map((op) => {
          switch (op.op) {
            case "insert":
              return store.insert(op.doc, { key: op.key });
            case "put":
              return store.put(op.key, op.doc);
            case "replace":
              store.replace(op.key, op.doc);
              return null;
            case "update":
              store.update(op.key, op.set);
              return null;
            case "delete":
              store.delete(op.key);
              return null;
          }
        });
      });
    }
    const op = ops[0];
    switch (op.op) {
      case "insert":
        return [await ctx.store.insert(op.doc, { key: op.key })];
      case "put":
        return [await ctx.store.put(op.key, op.doc)];
      case "replace":
        await ctx.store.replace(op.key, op.doc);
        return [null];
      case "update":
        await ctx.store.update(op.key, op.set);
        return [null];
      case "delete":
        await ctx.store.delete(op.key);
        return [null];
    }
  });
}

function describeOps(ops: WriteOp[]): string {
  return ops.map((op) => op.op).join(",");
}

export const writeApiTarget: FuzzTarget<Ctx> = {
  name: "write_api",
  description:
    "random and damaged BSON documents through every engine write API: refused cleanly or stored exactly",
  ciCases: 400,
  async setup() {
    const dir = await Deno.makeTempDir({ prefix: "planck_fuzz_write_" });
    const db = await openDatabase(dir, { walPreallocateBytes: 0, durability: "sync" });
    await db.createStore(STORE);
    return { dir, db, store: new Store(db, STORE), keys: [] };
  },
  async one(ctx, random) {
    const ops = Array.from({ length: random() < 0.3 ? 2 + int(random, 4) : 1 }, () => randomOp(random, ctx));
    const before = contents(ctx.db).get(STORE)!;
    const result = await write(random, ctx, ops);
    const after = contents(ctx.db).get(STORE)!;
    if (result instanceof PlanckError) {
      // Refused: nothing of the group was written.
      const diff = difference(new Map([[STORE, before]]), new Map([[STORE, after]]));
      if (diff !== undefined) {
        throw new Error(`refused ${describeOps(ops)} (${result.code}) still wrote: ${diff}`);
      }
      return;
    }
    // Done: every stored document decodes; a single put/insert/replace stored exactly what was given.
    for (const [key, value] of after) {
      if (before.get(key) === value) continue;
      const raw = ctx.store.getRaw(key)!;
      try {
        decodeDocument(raw);
      } catch (error) {
        throw new Error(`${describeOps(ops)} stored bytes that do not decode under ${key}: ${error}`);
      }
      if (!ctx.keys.includes(key)) ctx.keys.push(key);
    }
    const single = ops.length === 1 ? ops[0] : undefined;
    if (single !== undefined && single.op !== "update" && single.op !== "delete") {
      const key = result[0] ?? parseKey(single.key!);
      const expected = expectedBytes(single.doc);
      if (after.get(key) !== expected) {
        throw new Error(`${single.op} under ${key} stored ${after.get(key)}, expected ${expected}`);
      }
    }
    for (const key of before.keys()) {
      if (!after.has(key) && !ops.some((op) => op.op === "delete")) {
        throw new Error(`${describeOps(ops)} removed ${key} without a delete`);
      }
    }
  },
  teardown: reopenUnchanged,
};
