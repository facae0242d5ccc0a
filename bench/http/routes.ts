/**
 * The three routes of the HTTP benchmark, served the same way by Planck (bench/http/service/) and
 * the Hono + node:sqlite peer (bench/http/peer/), with the target for each.
 *
 * Invariants: every route names a wrk script kind known to load.lua; a smoke request checks status
 * and marker count before any load, so a target that answers wrongly is never measured.
 */

/** How load.lua builds requests for a route. */
export type LoadKind = "get-id" | "get-status" | "post-form";

/** One benchmarked route. */
export interface Route {
  /** Short name used in flags, JSON and logs. */
  name: "get" | "list" | "post";
  label: string;
  kind: LoadKind;
  /** Path template: `{id}` (a random existing key) or `{status}` (a random status). */
  path: string;
  /** The status a correct answer has. */
  expect: number;
  /** A string the body must contain, `count` times (default 1). */
  marker: string;
  count?: number;
  /** The QuickJS tier's req/s must be at least this multiple of the peer's (issue #19). */
  ratioMin: number;
  /** The native tier's own target, when it differs (issue #19). */
  nativeRatioMin?: number;
  /** When set, the native tier's p99 must not exceed it (issue #19). */
  p99MsMax?: number;
}

/** GET one by key, GET 20 by an index, POST one durable insert. */
export const ROUTES: readonly Route[] = [
  {
    name: "get",
    label: "GET /item/:key → HTML",
    kind: "get-id",
    path: "/item/{id}",
    expect: 200,
    marker: '<article id="item-',
    ratioMin: 0.7,
    nativeRatioMin: 1.3,
  },
  {
    name: "list",
    label: "GET /list?status=… → 20 × HTML",
    kind: "get-status",
    path: "/list?status={status}",
    expect: 200,
    marker: '<article id="item-',
    count: 20,
    ratioMin: 0.5,
    nativeRatioMin: 1.5,
  },
  {
    name: "post",
    label: "POST /item (form) → 201, durable",
    kind: "post-form",
    path: "/item",
    expect: 201,
    marker: '<li id="item-',
    ratioMin: 4,
    nativeRatioMin: 8,
    p99MsMax: 10,
  },
];

/** The body the smoke check posts. */
const SMOKE_FORM = "user=Smoke+%3CTest%3E&status=open&amount=1.25&tags=smoke,check&note=check";

/** Requests the route once and checks status and body. @throws Error naming what was wrong */
export async function smoke(baseUrl: string, route: Route, sampleId: string): Promise<void> {
  const url = baseUrl + route.path.replace("{id}", sampleId).replace("{status}", "open");
  const init: RequestInit = route.kind === "post-form"
    ? {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: SMOKE_FORM,
    }
    : {};
  const response = await fetch(url, init);
  const body = await response.text();
  const seen = body.split(route.marker).length - 1;
  const want = route.count ?? 1;
  if (response.status !== route.expect || seen < want) {
    throw new Error(
      `smoke ${init.method ?? "GET"} ${url}: status ${response.status} (want ${route.expect}), ` +
        `marker ${JSON.stringify(route.marker)} ×${seen} (want ${want}): ${body.slice(0, 200)}`,
    );
  }
}
