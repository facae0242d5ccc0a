/**
 * The workbench's request handler: static assets, login and logout, the JSON API under /api/, the
 * screens and their fragments. `createWorkbench` is the factory host/server/server.ts serves on port 2369.
 *
 * Steps per request: 1. assets and the login page need no credentials; 2. everything else is
 * authenticated (access.ts: Basic or session cookie, CSRF on state changes); 3. unauthenticated API
 * calls get 401 JSON, pages a redirect to /login; 4. the screen or endpoint runs, its access
 * checked by the op it calls; 5. errors go through the one mapper (api_error.ts), as JSON for the
 * API and fragments, as a page with the message for screens.
 *
 * Invariants: no data leaves before step 2; a refused action changes nothing.
 */
import { parseConnectionString } from "../client/mod.ts";
import { PlanckError } from "../protocol/errors.ts";
import type { WorkbenchFactory, WorkbenchParts } from "../host/server/workbench_hook.ts";
import { authenticate, checkOrigin, login, type Principal } from "./access.ts";
import { handleApi, matchPath, readBody } from "./api.ts";
import { json, toApiError } from "./api_error.ts";
import { assetResponse } from "./assets.ts";
import * as data from "./data.ts";
import { type Html, html, page } from "./html.ts";
import { API_BODY_BYTES_MAX, SSE_STREAMS_MAX } from "./limits.ts";
import { callOp } from "./ops.ts";
import { layout } from "./pages/layout.ts";
import { loginPage } from "./pages/login.ts";
import { logRows, logsMain } from "./pages/logs.ts";
import { overviewMain, overviewStream } from "./pages/overview.ts";
import { pqlMain, pqlRun } from "./pages/pql.ts";
import { servicesMain } from "./pages/services.ts";
import { settingsMain } from "./pages/settings.ts";
import { documentMain, documentsFragment, indexesFragment, storeMain, storesMain } from "./pages/stores.ts";
import { usersMain } from "./pages/users.ts";
import { backupsMain } from "./pages/backups.ts";
import { liveMain } from "./pages/live.ts";
import { replicasBlock, replicationMain } from "./pages/replication.ts";
import { previewFragment, schedulesMain } from "./pages/schedules.ts";
import { backupDirs, listBackups } from "./backups.ts";
import { liveStreams } from "./api_ops.ts";
import { replicationView } from "./replication.ts";
import { cronPreview, history, listSchedules } from "./schedules.ts";
import { Sampler } from "./sampler.ts";
import { sessionCookie, Sessions } from "./sessions.ts";
import { SESSION_TTL_MS } from "./limits.ts";

interface Workbench {
  parts: WorkbenchParts;
  sessions: Sessions;
  sampler: Sampler;
  secure: boolean;
  streams: number;
}

type Screen = (
  wb: Workbench,
  who: Principal,
  url: URL,
  params: Record<string, string>,
) => Promise<[string, Html]>;

const SCREENS: [string, string, Screen][] = [
  ["/", "/", (wb) => Promise.resolve(["Overview", overviewMain(wb.parts, wb.sampler)])],
  [
    "/services",
    "/services",
    (wb, who) => Promise.resolve(["Services", servicesMain(data.services(wb.parts, who), who)]),
  ],
  ["/pql", "/pql", () => Promise.resolve(["PQL console", pqlMain()])],
  ["/stores", "/stores", async (wb, who) => ["Stores", storesMain(await data.stores(wb.parts, who))]],
  ["/stores/:store", "/stores", async (wb, who, _url, p) => {
    const indexes = await data.indexes(wb.parts, who, p.store);
    const docs = await data.browse(wb.parts, who, { store: p.store });
    return [`Store ${p.store}`, storeMain(p.store, indexes, docs)];
  }],
  ["/stores/:store/documents/:key", "/stores", async (wb, who, _url, p) => {
    const doc = await callOp(wb.parts, who, "get", { store: p.store, key: p.key }) as
      | Record<string, unknown>
      | null;
    if (doc === null) throw new PlanckError("not_found", `No document "${p.key}" in store "${p.store}"`);
    return [`Document in ${p.store}`, documentMain(p.store, p.key, doc)];
  }],
  ["/live", "/live", async (wb, who, url) => {
    const rows = await callOp(wb.parts, who, "listStores") as { name: string }[];
    const names = rows.map((r) => r.name);
    const store = url.searchParams.get("store") ?? names[0] ?? "";
    return ["Live view", liveMain(names, store, url.searchParams.get("filter") ?? "")];
  }],
  ["/schedules", "/schedules", async (wb, who, url) => {
    const only = url.searchParams.get("name") ?? "";
    const schedules = await listSchedules(wb.parts, who);
    return ["Schedules", schedulesMain(schedules, await history(wb.parts, who, only, 50), only)];
  }],
  ["/backups", "/backups", async (wb, who) => {
    const rows = await listBackups(wb.parts, who);
    return ["Backups", backupsMain(rows, backupDirs(wb.parts), wb.parts.dataDir.replace(/\/+$/, ""))];
  }],
  [
    "/replication",
    "/replication",
    async (wb, who) => ["Replication", replicationMain(await replicationView(wb.parts, who))],
  ],
  ["/logs", "/logs", (wb, who, url) => {
    const query = logFilter(url);
    return Promise.resolve(["Logs", logsMain(query, data.logs(wb.parts, who, query))]);
  }],
  [
    "/users",
    "/users",
    async (wb, who) => ["Users", usersMain(await callOp(wb.parts, who, "listUsers") as never)],
  ],
  [
    "/settings",
    "/settings",
    (wb, who) => Promise.resolve(["Settings", settingsMain(data.settings(wb.parts, who))]),
  ],
];

function logFilter(url: URL) {
  return {
    level: url.searchParams.get("level") ?? "",
    q: url.searchParams.get("q") ?? "",
    source: url.searchParams.get("source") ?? "",
  };
}

/** The factory host/server/server.ts calls with the running parts. */
export const createWorkbench: WorkbenchFactory = (parts) => {
  const wb: Workbench = {
    parts,
    sessions: new Sessions(),
    sampler: new Sampler(parts),
    secure: parts.config.tls.certFile !== null,
    streams: 0,
  };
  return {
    handler: (request, info) => handle(wb, request, (info.remoteAddr as Deno.NetAddr).hostname),
    close: () => {
      wb.sampler.close();
      liveStreams(parts).endAll();
    },
  };
};

async function handle(wb: Workbench, request: Request, remote: string): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  const isApi = path === "/api" || path.startsWith("/api/");
  try {
    const asset = path.startsWith("/assets/") ? assetResponse(path) : null;
    if (asset !== null) return asset;
    if (path === "/favicon.ico") return new Response(null, { status: 204 });
    if (path === "/login") return await loginRoute(wb, request, remote);
    const who = await authenticate(wb.parts, wb.sessions, request, remote);
    if (who === null) {
      if (isApi || request.headers.has("hx-request") || request.method !== "GET") {
        return json(401, {
          error: "unauthorized",
          message: "Credentials required: log in or send Authorization: Basic",
        }, {
          "hx-redirect": "/login",
        });
      }
      return new Response(null, { status: 303, headers: { location: "/login" } });
    }
    if (path === "/logout" && request.method === "POST") {
      if (who.session !== undefined) {
        wb.sessions.delete(who.session.id);
        liveStreams(wb.parts).endSession(who.session.id);
      }
      return json(200, { loggedOut: true }, { "set-cookie": sessionCookie("", 0, wb.secure) });
    }
    if (isApi) return await handleApi(wb.parts, who, request, url);
    const fragment = await fragmentRoute(wb, who, request, url);
    if (fragment !== null) return fragment;
    return await screenRoute(wb, who, request, url);
  } catch (error) {
    const { status, body } = toApiError(error, (line) => wb.parts.logs.add("error", line));
    const headers: Record<string, string> = {};
    if (typeof body.retryAfterMs === "number") {
      headers["retry-after"] = String(Math.ceil(body.retryAfterMs / 1000));
    }
    if (isApi || request.method !== "GET" || request.headers.has("hx-request")) {
      return json(status, body, headers);
    }
    return page(errorPage(status, body.message), status);
  }
}

function errorPage(status: number, message: string): Html {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>Error · Planck</title>
        <link rel="stylesheet" href="/assets/style.css">
      </head>
      <body>
        <main id="main">
          <h1>Error ${status}</h1>
          <p class="error" role="alert">${message}</p>
          <p><a href="/">Back to the overview</a></p>
        </main>
      </body>
    </html>
  `;
}

async function loginRoute(wb: Workbench, request: Request, remote: string): Promise<Response> {
  if (request.method === "GET") return page(loginPage(null));
  if (request.method !== "POST") throw new PlanckError("invalid_argument", "Use GET or POST on /login");
  checkOrigin(request);
  const form = new URLSearchParams(
    new TextDecoder().decode(await readBody(request, 64 * 1024, "LOGIN_BODY_BYTES_MAX")),
  );
  let name = form.get("user")?.trim() ?? "";
  let key = form.get("key")?.trim() ?? "";
  if (key.includes("uid=")) { // a whole connection string pasted as the key
    try {
      const info = parseConnectionString(key);
      name = info.user;
      key = info.key;
    } catch {
      // not a connection string after all: try it as a key
    }
  }
  try {
    const user = await login(wb.parts, name, key, remote);
    const session = wb.sessions.create(user.name, user.keyRotatedAt.getTime());
    return new Response(null, {
      status: 303,
      headers: { location: "/", "set-cookie": sessionCookie(session.id, SESSION_TTL_MS, wb.secure) },
    });
  } catch (error) {
    if (!(error instanceof PlanckError)) throw error;
    const status = error.code === "locked" ? 423 : 401;
    return page(loginPage(error.message, name), status);
  }
}

async function fragmentRoute(
  wb: Workbench,
  who: Principal,
  request: Request,
  url: URL,
): Promise<Response | null> {
  const path = url.pathname;
  if (path === "/overview/stream" && request.method === "GET") {
    if (wb.streams >= SSE_STREAMS_MAX) throw new PlanckError("unavailable", "Too many live streams open");
    wb.streams++;
    return overviewStream(wb.parts, wb.sampler, () => wb.streams--);
  }
  if (path === "/pql/run" && request.method === "POST") {
    const form = new URLSearchParams(
      new TextDecoder().decode(await readBody(request, API_BODY_BYTES_MAX, "API_BODY_BYTES_MAX")),
    );
    return page(await pqlRun(wb.parts, who, form));
  }
  if (path === "/schedules/preview" && request.method === "GET") {
    let next: string[] | Error;
    try {
      next = cronPreview(url.searchParams.get("cron") ?? "", url.searchParams.get("timezone") || "UTC");
    } catch (error) {
      next = error as Error;
    }
    return page(previewFragment(next));
  }
  if (path === "/replication/block" && request.method === "GET") {
    return page(replicasBlock(await replicationView(wb.parts, who)));
  }
  if (path === "/logs/rows" && request.method === "GET") {
    return page(logRows(data.logs(wb.parts, who, logFilter(url))));
  }
  const rows = matchPath("/stores/:store/rows", path);
  if (rows !== null && request.method === "GET") {
    const filter = url.searchParams.get("filter") ?? "";
    const after = url.searchParams.get("after") ?? undefined;
    const docs = await data.browse(wb.parts, who, { store: rows.store, filter, after });
    return page(documentsFragment(rows.store, filter, docs, after === undefined));
  }
  const indexes = matchPath("/stores/:store/indexes", path);
  if (indexes !== null && request.method === "GET") {
    const list = await data.indexes(wb.parts, who, indexes.store);
    return page(indexesFragment(indexes.store, list));
  }
  return null;
}

async function screenRoute(wb: Workbench, who: Principal, request: Request, url: URL): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    throw new PlanckError("not_found", `No endpoint ${request.method} ${url.pathname.slice(0, 200)}`);
  }
  for (const [pattern, nav, screen] of SCREENS) {
    const params = matchPath(pattern, url.pathname);
    if (params === null) continue;
    try {
      const [title, main] = await screen(wb, who, url, params);
      return page(layout(title, who, nav, main));
    } catch (error) {
      const { status, body } = toApiError(error, (line) => wb.parts.logs.add("error", line));
      const main = html`<p class="error" role="alert" id="screen-error">${body.message}</p>`;
      return page(layout("Not available", who, nav, main), status);
    }
  }
  throw new PlanckError("not_found", `No screen ${url.pathname.slice(0, 200)}`);
}
