/**
 * The JSON API under `/api/` (docs/workbench.md lists every endpoint): the same actions as the
 * screens, for scripts and the CLI. Bodies are JSON (documents as Extended JSON) except a deploy,
 * whose body is the `.wasm` itself.
 *
 * Invariants: the caller is authenticated before this runs (server.ts); every endpoint's access is
 * checked by the op it runs or by `authorize`; bodies are bounded before they are read.
 */
import { PlanckError } from "../protocol/errors.ts";
import { SERVICE_BYTES_MAX } from "../protocol/abi.ts";
import type { WorkbenchParts } from "../host/workbench_hook.ts";
import type { Principal } from "./access.ts";
import { json } from "./api_error.ts";
import * as data from "./data.ts";
import { fromJsonValue, toJsonValue } from "./ejson.ts";
import { API_BODY_BYTES_MAX } from "./limits.ts";
import { callOp } from "./ops.ts";

type Params = Record<string, string>;
type Handler = (
  ctx: { parts: WorkbenchParts; who: Principal; request: Request; params: Params; url: URL },
) => Promise<unknown> | unknown;

const ROUTES: [string, string, Handler][] = [
  ["GET", "/api/me", ({ who }) => ({ user: who.user.name, role: who.user.role })],
  ["GET", "/api/status", ({ parts, who }) => data.status(parts, who)],
  ["GET", "/api/services", ({ parts, who }) => ({ services: data.services(parts, who) })],
  ["POST", "/api/services", deploy],
  ["DELETE", "/api/services/:name", async ({ parts, who, params }) => {
    const { undeployed } = await callOp(parts, who, "undeploy", { name: params.name }) as {
      undeployed: boolean;
    };
    if (!undeployed) {
      throw new PlanckError("not_found", `No service "${params.name}" is deployed`, { field: "name" });
    }
    return { undeployed: params.name };
  }],
  ["GET", "/api/services/:name/log", ({ parts, who, params, url }) => ({
    entries: data.logs(parts, who, { ...logQuery(url), source: `service:${params.name}` }),
  })],
  ["GET", "/api/logs", ({ parts, who, url }) => ({ entries: data.logs(parts, who, logQuery(url)) })],
  ["POST", "/api/pql", async ({ parts, who, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["statement"]);
    if (typeof body.statement !== "string") throw invalidField("statement", "a string");
    return await data.runPql(parts, who, body.statement);
  }],
  ["GET", "/api/stores", async ({ parts, who }) => ({ stores: await data.stores(parts, who) })],
  ["POST", "/api/stores", async ({ parts, who, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["name"]);
    await callOp(parts, who, "createStore", { store: body.name });
    return { created: body.name };
  }],
  ["DELETE", "/api/stores/:store", async ({ parts, who, params }) => {
    await callOp(parts, who, "dropStore", { store: params.store });
    return { dropped: params.store };
  }],
  ["GET", "/api/stores/:store/indexes", async ({ parts, who, params }) => ({
    indexes: await callOp(parts, who, "listIndexes", { store: params.store }),
  })],
  ["POST", "/api/stores/:store/indexes", async ({ parts, who, params, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["name", "fields", "unique"]);
    await callOp(parts, who, "createIndex", { store: params.store, unique: false, ...body });
    return { created: body.name };
  }],
  ["DELETE", "/api/stores/:store/indexes/:name", async ({ parts, who, params }) => {
    await callOp(parts, who, "dropIndex", { name: params.name });
    return { dropped: params.name };
  }],
  ["GET", "/api/stores/:store/documents", ({ parts, who, params, url }) =>
    data.browse(parts, who, {
      store: params.store,
      filter: url.searchParams.get("filter") ?? undefined,
      after: url.searchParams.get("after") ?? undefined,
      limit: intParam(url, "limit"),
    })],
  ["POST", "/api/stores/:store/documents", async ({ parts, who, params, request }) => {
    const doc = fromJsonValue(await readJson(request));
    const key = doc.key;
    delete doc.key;
    return await callOp(parts, who, "insert", {
      store: params.store,
      doc,
      ...(key === undefined ? {} : { key }),
    });
  }],
  ["GET", "/api/stores/:store/documents/:key", async ({ parts, who, params }) => {
    const doc = await callOp(parts, who, "get", { store: params.store, key: params.key });
    if (doc === null) throw new PlanckError("not_found", `No document "${params.key}" in "${params.store}"`);
    return doc;
  }],
  ["PUT", "/api/stores/:store/documents/:key", async ({ parts, who, params, request }) => {
    const doc = fromJsonValue(await readJson(request));
    delete doc.key;
    return await callOp(parts, who, "replace", { store: params.store, key: params.key, doc });
  }],
  [
    "DELETE",
    "/api/stores/:store/documents/:key",
    ({ parts, who, params }) => callOp(parts, who, "delete", { store: params.store, key: params.key }),
  ],
  ["GET", "/api/users", async ({ parts, who }) => ({ users: await callOp(parts, who, "listUsers") })],
  ["POST", "/api/users", async ({ parts, who, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["user", "role"]);
    return await callOp(parts, who, "createUser", body);
  }],
  ["PUT", "/api/users/:name/role", async ({ parts, who, params, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["role"]);
    return await callOp(parts, who, "setRole", { user: params.name, role: body.role });
  }],
  [
    "POST",
    "/api/users/:name/key",
    async ({ parts, who, params }) => {
      const result = await callOp(parts, who, "rotateKey", { user: params.name });
      const self = parts.users.get(params.name);
      // Rotating one's own key keeps this browser session signed in (as the wire op keeps its connection).
      if (who.session !== undefined && params.name === who.user.name && self !== undefined) {
        who.session.keyRotatedMs = self.keyRotatedAt.getTime();
      }
      return result;
    },
  ],
  [
    "DELETE",
    "/api/users/:name",
    ({ parts, who, params }) => callOp(parts, who, "dropUser", { user: params.name }),
  ],
  ["GET", "/api/config", ({ parts, who }) => ({ config: data.settings(parts, who) })],
];

/** Matches `path` against a pattern with `:name` segments. */
export function matchPath(pattern: string, path: string): Params | null {
  const a = pattern.split("/");
  const b = path.split("/");
  if (a.length !== b.length) return null;
  const params: Params = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(":")) {
      if (b[i] === "") return null;
      try {
        params[a[i].slice(1)] = decodeURIComponent(b[i]);
      } catch {
        return null;
      }
    } else if (a[i] !== b[i]) return null;
  }
  return params;
}

/** Answers an authenticated `/api/` request. @throws PlanckError (mapped by server.ts) */
export async function handleApi(
  parts: WorkbenchParts,
  who: Principal,
  request: Request,
  url: URL,
): Promise<Response> {
  let pathMatched = false;
  for (const [method, pattern, handler] of ROUTES) {
    const params = matchPath(pattern, url.pathname);
    if (params === null) continue;
    pathMatched = true;
    if (method !== request.method && !(method === "GET" && request.method === "HEAD")) continue;
    const result = await handler({ parts, who, request, params, url });
    const status = request.method === "POST" && !url.pathname.endsWith("/key") && pattern !== "/api/pql"
      ? 201
      : 200;
    return json(status, toJsonValue(result ?? {}));
  }
  if (pathMatched) {
    throw new PlanckError("invalid_argument", `Method ${request.method} is not allowed on ${url.pathname}`);
  }
  throw new PlanckError("not_found", `No API endpoint ${url.pathname.slice(0, 200)}`);
}

async function deploy({ parts, who, request }: Parameters<Handler>[0]): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/wasm") && !type.startsWith("application/octet-stream")) {
    throw new PlanckError(
      "invalid_argument",
      'A deploy body is the .wasm file with Content-Type "application/wasm"',
      {
        field: "content-type",
      },
    );
  }
  const wasm = await readBody(request, SERVICE_BYTES_MAX, "SERVICE_BYTES_MAX");
  return await callOp(parts, who, "deploy", { wasm });
}

/** Reads a body of at most `max` bytes. @throws PlanckError `limit_exceeded` */
export async function readBody(request: Request, max: number, limit: string): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new PlanckError("limit_exceeded", `Request body too large: the limit ${limit} is ${max} bytes`, {
      limit,
    });
  if (declared > max) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.length;
    if (total > max) throw tooLarge();
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function readJson(request: Request): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await readBody(request, API_BODY_BYTES_MAX, "API_BODY_BYTES_MAX"));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlanckError("invalid_argument", `Invalid JSON body: ${(error as Error).message}`, {
      field: "body",
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PlanckError("invalid_argument", "Invalid JSON body: expected an object", { field: "body" });
  }
  return value as Record<string, unknown>;
}

function expectKeys(body: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new PlanckError("invalid_argument", `Unknown field "${key.slice(0, 80)}"`, { field: key });
    }
  }
}

function invalidField(field: string, expected: string): PlanckError {
  return new PlanckError("invalid_argument", `Invalid "${field}": expected ${expected}`, { field });
}

function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw invalidField(name, "a non-negative integer");
  return Number(raw);
}

function logQuery(url: URL) {
  const after = intParam(url, "after");
  return {
    level: url.searchParams.get("level") ?? undefined,
    q: url.searchParams.get("q") ?? undefined,
    limit: intParam(url, "limit"),
    after,
  };
}
