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
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import type { Principal } from "./access.ts";
import { json } from "./api_error.ts";
import * as data from "./data.ts";
import { fromJsonValue, toJsonValue } from "./ejson.ts";
import { callOp } from "./ops.ts";
import { expectKeys, intParam, invalidField, readBody, readJson } from "./request_body.ts";
import { OPS_ROUTES } from "./api_ops.ts";

type Params = Record<string, string>;
/** One endpoint's handler; a Response it returns is sent as is (downloads, 202s). */
export type Handler = (
  ctx: { parts: WorkbenchParts; who: Principal; request: Request; params: Params; url: URL },
) => Promise<unknown> | unknown;

/** Method, path pattern, handler and (when not the default: 201 for a POST, else 200) the status. */
export type Route = [string, string, Handler, number?];

const ROUTES: Route[] = [
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
    indexes: await data.indexes(parts, who, params.store),
  })],
  ["POST", "/api/stores/:store/indexes", async ({ parts, who, params, request }) => {
    const { wait, ...body } = await readJson(request);
    expectKeys(body, ["name", "fields", "unique"]);
    if (wait !== undefined && typeof wait !== "boolean") throw invalidField("wait", "a boolean");
    const result = await data.createIndex(
      parts,
      who,
      { store: params.store, unique: false, ...body },
      wait !== false,
    );
    return result.state === "building" ? json(202, result) : result;
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

export { readBody };

/** Answers an authenticated `/api/` request. @throws PlanckError (mapped by server.ts) */
export async function handleApi(
  parts: WorkbenchParts,
  who: Principal,
  request: Request,
  url: URL,
): Promise<Response> {
  let pathMatched = false;
  for (const [method, pattern, handler, fixed] of [...ROUTES, ...OPS_ROUTES] as Route[]) {
    const params = matchPath(pattern, url.pathname);
    if (params === null) continue;
    pathMatched = true;
    if (method !== request.method && !(method === "GET" && request.method === "HEAD")) continue;
    const result = await handler({ parts, who, request, params, url });
    if (result instanceof Response) return result;
    const status = fixed ??
      (request.method === "POST" && !url.pathname.endsWith("/key") && pattern !== "/api/pql" ? 201 : 200);
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

function logQuery(url: URL) {
  const after = intParam(url, "after");
  return {
    level: url.searchParams.get("level") ?? undefined,
    q: url.searchParams.get("q") ?? undefined,
    limit: intParam(url, "limit"),
    after,
  };
}
