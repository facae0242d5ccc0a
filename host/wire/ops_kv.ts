/**
 * Key-value ops: one document by key (get, insert, put, replace, update, delete), key-range scans
 * and atomic transactions of write ops. Writes go through the engine's write path (`batch`, one WAL
 * group per op or per transaction) and resolve once durable; reads are synchronous.
 *
 * Invariants: every store an op touches is authorized before anything is staged; an insert-like
 * write into a missing store creates it first (as the `query` op does); a transaction is all or
 * nothing.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { type KeyInput, parseKey } from "../../engine/key.ts";
import { stageWrite, Store, type WriteOp } from "../../engine/db/store.ts";
import { createMissingStores } from "../../engine/db/missing_stores.ts";
import type { Document } from "../../engine/document.ts";
import { SCAN_ROWS_MAX } from "../../engine/limits.ts";
import { SCAN_ROWS_DEFAULT, TRANSACTION_OPS_MAX } from "../limits.ts";
import { authorize } from "./authorize.ts";
import {
  arrayField,
  expectFields,
  objectField,
  type OpCall,
  optionalBoolean,
  optionalInteger,
  optionalString,
  type Request,
  stringField,
} from "./request.ts";

const WRITE_OPS = ["insert", "put", "replace", "update", "delete"] as const;
const WRITE_FIELDS: Record<WriteOp["op"], string[]> = {
  insert: ["store", "doc", "key"],
  put: ["store", "key", "doc"],
  replace: ["store", "key", "doc"],
  update: ["store", "key", "set"],
  delete: ["store", "key"],
};

/** Checks one write op (a key-value request or an item of a transaction). */
export function parseWriteOp(request: Request): WriteOp {
  const op = request.op as WriteOp["op"];
  if (!(WRITE_OPS as readonly string[]).includes(op)) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid write op "${String(op).slice(0, 40)}": expected one of ${WRITE_OPS.join(", ")}`,
      {
        field: "op",
      },
    );
  }
  expectFields(request, WRITE_FIELDS[op]);
  const store = stringField(request, "store");
  switch (op) {
    case "insert": {
      const key = request.key === undefined ? undefined : keyField(request);
      return { op, store, doc: objectField(request, "doc") as Document, key };
    }
    case "put":
    case "replace":
      return { op, store, key: keyField(request), doc: objectField(request, "doc") as Document };
    case "update":
      return { op, store, key: keyField(request), set: objectField(request, "set") as Document };
    case "delete":
      return { op, store, key: keyField(request) };
  }
}

function keyField(request: Request): KeyInput {
  const key = request.key;
  if (typeof key === "string" || typeof key === "bigint" || key instanceof Uint8Array) return parseKey(key);
  throw new PlanckError("invalid_argument", `Invalid "key" for op "${request.op}": expected 32 hex digits`, {
    field: "key",
  });
}

/**
 * Runs writes atomically after authorizing every store; creates stores that inserts need. Steps 1
 * and 2 stage synchronously, so the writes take their place in the request order.
 */
async function runWrites(call: Omit<OpCall, "request">, ops: WriteOp[], what: string) {
  const { ctx, session } = call;
  authorize(session.user!, { access: "write", what, stores: ops.map((op) => op.store) });
  // 1. create missing stores
  const created = createMissingStores(
    ctx.db,
    ops.filter((op) => op.op === "insert" || op.op === "put").map((op) => op.store),
  );
  // 2. stage every op into one write set (errors name the op) and commit it as one WAL group
  const committed = (async () => {
    const writes = ctx.db.writeSet();
    const keys = ops.map((op, i) => {
      try {
        return stageWrite(ctx.db, writes, op);
      } catch (error) {
        throw ops.length === 1 ? error : prefixField(error, `ops.${i}`);
      }
    });
    return { keys, lsn: await ctx.db.commit(writes) };
  })();
  // 3. wait for both to be durable
  const [, result] = await Promise.all([created, committed]);
  return result;
}

/** `get {store, key}` → the document with its `key`, or null. */
export function opGet({ ctx, session, request }: OpCall): Document | null {
  expectFields(request, ["store", "key"]);
  const store = stringField(request, "store");
  authorize(session.user!, { access: "read", what: "get", stores: [store] });
  const key = parseKey(keyField(request));
  const doc = new Store(ctx.db, store).get(key);
  return doc === undefined ? null : { ...doc, key };
}

/** `insert|put|replace|update|delete` on one key → `{key}` (delete: `{deleted}`). */
export async function opWrite({ ctx, session, request }: OpCall): Promise<unknown> {
  const op = parseWriteOp(request);
  const result = await runWrites({ ctx, session }, [op], request.op);
  if (op.op === "delete") return { deleted: result.keys[0] !== null };
  return { key: result.keys[0] };
}

/** `transaction {ops: [write op…]}` → `{keys, lsn}`, atomically (one WAL group). */
export async function opTransaction({ ctx, session, request }: OpCall): Promise<unknown> {
  expectFields(request, ["ops"]);
  const items = arrayField(request, "ops", { max: TRANSACTION_OPS_MAX, limit: "TRANSACTION_OPS_MAX" });
  const ops = items.map((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new PlanckError("invalid_argument", `Invalid "ops.${i}": expected a write op object`, {
        field: `ops.${i}`,
      });
    }
    try {
      return parseWriteOp({ id: request.id, ...(item as Record<string, unknown>) } as Request);
    } catch (error) {
      throw prefixField(error, `ops.${i}`);
    }
  });
  const result = await runWrites({ ctx, session }, ops, "transaction");
  return { keys: result.keys, lsn: result.lsn };
}

/** `scan {store, from?, to?, reverse?, limit?}` → documents in key order, each with its `key`. */
export function opScan({ ctx, session, request }: OpCall): Document[] {
  expectFields(request, ["store", "from", "to", "reverse", "limit"]);
  const store = stringField(request, "store");
  authorize(session.user!, { access: "read", what: "scan", stores: [store] });
  const from = optionalString(request, "from");
  const to = optionalString(request, "to");
  const rows = new Store(ctx.db, store).scan({
    from: from === undefined ? undefined : parseKey(from, "from"),
    to: to === undefined ? undefined : parseKey(to, "to"),
    reverse: optionalBoolean(request, "reverse"),
    limit: optionalInteger(request, "limit", { min: 0, max: SCAN_ROWS_MAX }) ?? SCAN_ROWS_DEFAULT,
  });
  return rows.map(({ key, doc }) => ({ ...doc, key }));
}

function prefixField(error: unknown, prefix: string): unknown {
  if (!(error instanceof PlanckError)) return error;
  const field = error.location.field === undefined ? prefix : `${prefix}.${error.location.field}`;
  return new PlanckError(error.code, error.message, { ...error.location, field }, { cause: error });
}
