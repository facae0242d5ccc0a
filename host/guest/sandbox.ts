/**
 * The sandbox's host calls: what a guest may ask through `__planck_host(json)`, answered inside
 * the request's transaction. A guest names its own stores ("orders"); the host rewrites them to
 * engine stores `<service>__orders`, so host calls cannot name another service's data.
 *
 * Calls (docs/wasm-abi.md): `{op:"query", query}` or a data query document itself → `{ok:true,
 * result}`; `{op:"log", level, message}` → `{ok:true}`; `{op:"random", bytes}` → `{ok:true, result:
 * hex}`; `{op:"lsn"}` → `{ok:true, result: the last LSN}`; any failure → `{ok:false, error:{code, message, field?}}`. The tier encodes them (tagged
 * JSON for QuickJS, BSON for native).
 *
 * Invariants: a guest store name contains no "__" and does not start with "sys"; only data ops run
 * (no DDL); a query on a store that does not exist yet creates it first, in the same turn (the
 * engine applies a store's creation before its first await, and the request's own commit comes
 * later in the log, so its durability covers the creation) — the handler runs once, never again;
 * where the store cannot be created (a replica), the query fails in the guest with `not_found`.
 */
import { bytesToHex } from "../../protocol/hex.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { QueryDocument } from "../../protocol/query_document.ts";
import type { Transaction } from "../../engine/tx/transaction.ts";
import { RAW_JSON_REPLY, RAW_REPLY, type RawForm } from "./guest.ts";
import { findReplyJson, getReplyJson } from "./json_reply.ts";
import { findReplyBson, getReplyBson, splicable } from "./raw_reply.ts";

const GUEST_STORE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const DATA_OPS = ["find", "get", "count", "aggregate", "update", "delete", "insert", "replace", "explain"];
/** Log lines a guest may write per request. */
const GUEST_LOG_LINES_MAX = 100;

/** The engine store behind a guest store of `service`. @throws PlanckError `forbidden` */
export function scopedStore(service: string, store: unknown): string {
  if (
    typeof store !== "string" || !GUEST_STORE.test(store) || store.includes("__") ||
    store.toLowerCase().startsWith("sys")
  ) {
    throw new PlanckError(
      "forbidden",
      `Forbidden store name "${String(store).slice(0, 80)}": a service names only its own stores ` +
        `(letters, digits and "_", no "__", not starting with "sys")`,
      { field: "store" },
    );
  }
  return `${service}__${store}`;
}

/** The query with every store name scoped to `service`. @throws PlanckError `forbidden` */
export function scopeQuery(service: string, query: unknown): QueryDocument {
  const doc = query as Record<string, unknown> | null;
  if (doc === null || typeof doc !== "object" || !DATA_OPS.includes(doc.op as string)) {
    throw new PlanckError(
      "forbidden",
      `Forbidden host call: op ${JSON.stringify(doc?.op)} is not a data op (${DATA_OPS.join(", ")})`,
      { field: "op" },
    );
  }
  if (doc.op === "explain") return { ...doc, query: scopeQuery(service, doc.query) } as QueryDocument;
  return { ...doc, store: scopedStore(service, doc.store) } as QueryDocument;
}

function storeOf(query: QueryDocument): string {
  return query.op === "explain" ? query.query.store : (query as { store: string }).store;
}

/** State of the host calls of one request. */
export interface HostCallScope {
  service: string;
  tx: Transaction;
  log: (line: string) => void;
  logLines: number;
}

/**
 * Answers one host call (a document in, a reply document out); never throws. With `raw` "bson", a
 * point get or unprojected find answers `{[RAW_REPLY]: bson}` spliced from the stored bytes (no
 * decode and re-encode); with "json", `{[RAW_JSON_REPLY]: utf8}` written from them (json_reply.ts).
 */
export function answerHostCall(
  scope: HostCallScope,
  call: Record<string, unknown>,
  raw?: RawForm,
): Record<string | symbol, unknown> {
  try {
    if (call === null || typeof call !== "object") {
      throw new PlanckError("invalid_argument", "A host call must be a document", { field: "op" });
    }
    if (call.op === "log") {
      if (scope.logLines++ < GUEST_LOG_LINES_MAX) scope.log(`${String(call.level)}: ${String(call.message)}`);
      return { ok: true };
    }
    if (call.op === "random") return { ok: true, result: randomHex(call.bytes) };
    // The position of the log when asked: a page that reads after it shows every write up to it,
    // so `GET /events?lastEventId=<lsn>` continues with no gap (docs/changes.md, "Resume").
    if (call.op === "lsn") return { ok: true, result: scope.tx.db.lastLsn };
    const query = scopeQuery(scope.service, call.op === "query" ? call.query : call);
    const store = storeOf(query);
    if (!scope.tx.db.hasStore(store)) createStore(scope, store);
    if (raw === "bson") {
      const reply = rawReply(scope.tx, store, query);
      if (reply !== undefined) return { [RAW_REPLY]: reply };
    } else if (raw === "json") {
      const reply = rawJsonReply(scope.tx, store, query);
      if (reply !== undefined) return { [RAW_JSON_REPLY]: reply };
    }
    return { ok: true, result: scope.tx.query(query) };
  } catch (error) {
    const e = error as PlanckError;
    const code = error instanceof PlanckError ? e.code : "internal";
    const field = e.location?.field;
    return {
      ok: false,
      error: field === undefined ? { code, message: e.message } : { code, message: e.message, field },
    };
  }
}

/**
 * Creates `store` now: the engine applies the creation before its promise first awaits, so the
 * store exists when this returns (its durability is awaited by the request's own commit, which is
 * later in the log). @throws PlanckError `not_found` when it could not be created (a replica).
 */
function createStore(scope: HostCallScope, store: string): void {
  const db = scope.tx.db;
  db.createStore(store, { ifNotExists: true }).catch((error) =>
    scope.log(`creating store "${store}" failed: ${(error as Error).message}`)
  );
  if (!db.hasStore(store)) {
    throw new PlanckError(
      "not_found",
      `Store "${store.slice(store.indexOf("__") + 2)}" does not exist and cannot be created here`,
      { field: "store" },
    );
  }
}

/**
 * The BSON reply of a point get or an unprojected find spliced from the stored bytes, or undefined
 * when the query is another kind or a document cannot be spliced (the caller then runs it as usual;
 * the reads are recorded either way, so running it again reads the same versions).
 */
function rawReply(tx: Transaction, store: string, query: QueryDocument): Uint8Array | undefined {
  if (query.op === "get" && typeof query.key === "string" && Object.keys(query).length === 3) {
    const bytes = tx.readBytes(store, query.key);
    return bytes === undefined || splicable(bytes) ? getReplyBson(query.key, bytes) : undefined;
  }
  if (query.op !== "find") return undefined;
  const rows = tx.findRows(query);
  if (rows === undefined) return undefined;
  for (const row of rows) if (!splicable(row.bytes)) return undefined;
  return findReplyBson(rows);
}

/** rawReply's JSON twin (json_reply.ts), for the QuickJS tier; undefined where it does not apply. */
function rawJsonReply(tx: Transaction, store: string, query: QueryDocument): Uint8Array | undefined {
  if (query.op === "get" && typeof query.key === "string" && Object.keys(query).length === 3) {
    return getReplyJson(query.key, tx.readBytes(store, query.key));
  }
  if (query.op !== "find") return undefined;
  const rows = tx.findRows(query);
  return rows === undefined ? undefined : findReplyJson(rows);
}

/** Random bytes a guest may ask for per call. */
const RANDOM_BYTES_MAX = 64;

function randomHex(bytes: unknown): string {
  const n = typeof bytes === "number" && Number.isInteger(bytes) && bytes > 0 && bytes <= RANDOM_BYTES_MAX
    ? bytes
    : RANDOM_BYTES_MAX;
  return bytesToHex(crypto.getRandomValues(new Uint8Array(n)));
}
