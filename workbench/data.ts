/**
 * What the screens and the API read and change: status, services, stores with counts and sizes,
 * documents by key page, PQL statements, users, logs and the effective config. Every change goes
 * through a wire op (ops.ts); reads check the caller's access the same way.
 *
 * Invariants: every loop over stored data is bounded (STORE_COUNT_DOCS_MAX, BROWSE_ROWS_MAX); a
 * browse filter can only ever compile to a read (`find`) of the named store.
 */
import { PlanckError } from "../protocol/errors.ts";
import { backfillProgress } from "../engine/indexes/backfill.ts";
import { parsePql } from "../engine/pql/mod.ts";
import type { FindQuery } from "../protocol/query_document.ts";
import { CONFIG_KEYS } from "../host/config_keys.ts";
import { LOG_LEVELS, type LogLevel } from "../host/log_ring.ts";
import { PLANCK_VERSION } from "../host/version.ts";
import { authorize } from "../host/wire/authorize.ts";
import { runQuery } from "../host/wire/ops_query.ts";
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import type { Principal } from "./access.ts";
import { BROWSE_ROWS_MAX, LOG_ROWS_DEFAULT, PAGE_ROWS, STORE_COUNT_DOCS_MAX } from "./limits.ts";
import { callOp, opContext } from "./ops.ts";

/** `GET /api/status`. */
export async function status(parts: WorkbenchParts, who: Principal): Promise<Record<string, unknown>> {
  const stats = await callOp(parts, who, "stats") as Record<string, unknown>;
  return {
    version: PLANCK_VERSION,
    uptimeMs: Date.now() - parts.startedMs,
    startedAt: new Date(parts.startedMs),
    ports: parts.ports(),
    ...stats,
    services: parts.services.metrics(),
  };
}

/** `GET /api/services`: each service with its routes and their metrics. */
export function services(parts: WorkbenchParts, who: Principal): Record<string, unknown>[] {
  authorize(who.user, { access: "read", what: "listing services" });
  const metrics = (parts.services.metrics().routes ?? []) as { service: string; route: string }[];
  return parts.services.list().map((service) => ({
    ...service,
    metrics: metrics.filter((m) => m.service === service.name),
  }));
}

/** One store's figures. */
export interface StoreSummary {
  name: string;
  documents: number;
  bytes: number;
  /** True when counting stopped at STORE_COUNT_DOCS_MAX. */
  partial: boolean;
  indexes: number;
}

/** `GET /api/stores`: the stores the caller may see with counts and sizes. */
export async function stores(parts: WorkbenchParts, who: Principal): Promise<StoreSummary[]> {
  const rows = await callOp(parts, who, "listStores") as { name: string }[];
  return rows.map(({ name }) => {
    const info = parts.db.storeInfo(name);
    let documents = 0;
    let bytes = 0;
    for (const [, value] of parts.db.scan(info.id)) {
      if (documents >= STORE_COUNT_DOCS_MAX) break;
      documents++;
      bytes += value.length;
    }
    return {
      name,
      documents,
      bytes,
      partial: documents >= STORE_COUNT_DOCS_MAX,
      indexes: parts.db.listIndexes(name).length,
    };
  });
}

/** A page of documents. */
export interface DocumentPage {
  rows: Record<string, unknown>[];
  /** The key to pass as `after` for the next page, or null at the end. */
  next: string | null;
}

/**
 * Documents of `store` in key order after `after`, matching `filter` (a PQL filter expression,
 * as inside `.filter(…)`). @throws PlanckError `invalid_argument` with line:column for a bad filter
 */
export async function browse(
  parts: WorkbenchParts,
  who: Principal,
  options: { store: string; filter?: string; after?: string; limit?: number },
): Promise<DocumentPage> {
  const limit = Math.min(Math.max(1, options.limit ?? PAGE_ROWS), BROWSE_ROWS_MAX);
  const filter = options.filter?.trim() ?? "";
  const query: FindQuery = filter === "" ? { op: "find", store: options.store } : compileFilter(filter);
  query.store = options.store;
  query.limit = limit + 1;
  if (options.after !== undefined && options.after !== "") query.after = options.after;
  const rows = await runQuery({ ctx: opContext(parts), session: who }, query) as Record<string, unknown>[];
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, next: more ? String(page[page.length - 1].key) : null };
}

function compileFilter(filter: string): FindQuery {
  const query = parsePql(`x.filter(${filter})`);
  if (query.op !== "find" || query.orderBy !== undefined || query.limit !== undefined) {
    throw new PlanckError("invalid_argument", "Invalid filter: expected a filter expression such as n > 1", {
      field: "filter",
    });
  }
  return query;
}

/** `POST /api/pql {statement}` → `{op, result}` (explain: the plan). */
export async function runPql(
  parts: WorkbenchParts,
  who: Principal,
  statement: string,
): Promise<{ op: string; result: unknown }> {
  const query = parsePql(statement);
  const result = await runQuery({ ctx: opContext(parts), session: who }, query);
  return { op: query.op, result };
}

/** True when a PQL statement would change or remove data (the console asks first). */
export function isDestructive(statement: string): boolean {
  try {
    const op = parsePql(statement).op;
    return op === "delete" || op === "update" || op === "replace" || op === "dropStore" || op === "dropIndex";
  } catch {
    return false;
  }
}

/** `GET /api/logs`. */
export function logs(
  parts: WorkbenchParts,
  who: Principal,
  query: { level?: string; q?: string; limit?: number; source?: string; after?: number },
) {
  authorize(who.user, { access: "read", what: "reading the log" });
  if (
    query.level !== undefined && query.level !== "" &&
    !(LOG_LEVELS as readonly string[]).includes(query.level)
  ) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid level "${query.level.slice(0, 20)}": expected one of ${LOG_LEVELS.join(", ")}`,
      {
        field: "level",
      },
    );
  }
  return parts.logs.query({
    level: (query.level || undefined) as LogLevel | undefined,
    q: query.q,
    source: query.source,
    afterSeq: query.after,
    limit: query.limit ?? LOG_ROWS_DEFAULT,
  });
}

/** `GET /api/config`: every key's effective value, default and source. */
export function settings(parts: WorkbenchParts, who: Principal) {
  authorize(who.user, { access: "read", what: "reading the config" });
  return CONFIG_KEYS.map((spec) => ({
    key: spec.key,
    value: configValue(parts.config, spec.key),
    default: spec.default,
    source: parts.configSources.get(spec.key) ?? "default",
  }));
}

function configValue(config: object, key: string): unknown {
  const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  let node: unknown = config;
  for (const part of key.split(".")) node = (node as Record<string, unknown>)?.[camel(part)];
  return node;
}

/** One index as listed, with its backfill's progress while it builds. */
export interface IndexSummary {
  name: string;
  store: string;
  fields: { path: string; direction: string }[];
  unique: boolean;
  state: string;
  multikey: boolean;
  /** While building: documents indexed of the documents counted (total null while counting). */
  progress?: { done: number; total: number | null };
}

/** `GET /api/stores/STORE/indexes`: the store's indexes with backfill progress. */
export async function indexes(parts: WorkbenchParts, who: Principal, store: string): Promise<IndexSummary[]> {
  const rows = await callOp(parts, who, "listIndexes", { store }) as IndexSummary[];
  return rows.map((row) => {
    const def = parts.db.indexInfo(row.name);
    const progress = def === undefined || row.state === "ready" ? undefined : backfillProgress(def);
    return progress === undefined ? row : { ...row, progress };
  });
}

/**
 * Creates an index; with `wait` false answers as soon as it exists (building), and the backfill
 * goes on (a failure, e.g. a duplicate for a unique index, drops it and is logged).
 */
export async function createIndex(
  parts: WorkbenchParts,
  who: Principal,
  fields: Record<string, unknown>,
  wait: boolean,
): Promise<{ created: unknown; state: string }> {
  const name = fields.name;
  const taken = typeof name === "string" && parts.db.indexInfo(name) !== undefined;
  const run = callOp(parts, who, "createIndex", fields);
  // A taken name is refused by the op (conflict): nothing new to wait for.
  if (wait || taken) {
    await run;
    return { created: name, state: "ready" };
  }
  let settled = false;
  const done = run.then(() => settled = true);
  done.catch((error) => {
    settled = true;
    parts.logs.add(
      "error",
      `planck: workbench: index "${String(name).slice(0, 64)}": ${(error as Error).message}`,
    );
  });
  // The op checks its fields and role, then commits the index (building) before its backfill yields.
  while (!settled && (typeof name !== "string" || parts.db.indexInfo(name) === undefined)) {
    await Promise.race([done.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5))]);
  }
  if (!settled) return { created: name, state: "building" };
  await run; // rethrows a refusal (forbidden, invalid_argument, conflict)
  return { created: name, state: parts.db.indexInfo(String(name))?.state ?? "ready" };
}
