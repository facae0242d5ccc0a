/**
 * The app HTTP port: `Deno.serve` in front of the deployed services. Each request gets an id
 * (`x-request-id`), is routed to a service by path, runs as one transaction in that service's
 * pool, and its response is released once the transaction's writes are durable.
 *
 * Invariants: request bodies above REQUEST_BODY_BYTES_MAX get 413 without reaching a guest, and the
 * other limits of request_guard.ts hold before any routing; a path no service claims gets 404; HEAD
 * is handled here and only here (answerHead): the request runs as a GET everywhere — assets, host
 * endpoints, services (a guest never sees HEAD) — and its answer leaves without a body.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { type GuestRequest, type GuestResponse, HOST_PATH_PREFIX, underPrefix } from "../../protocol/abi.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import { type AdminContext, handleAdminRequest } from "./admin.ts";
import { ASSETS_PATH_PREFIX, serveAsset } from "./assets.ts";
import { DEV_EVENTS_PATH, serveDevEvents } from "./dev_events.ts";
import { splitRequestUrl } from "./request_url.ts";
import { ServiceRouter } from "./router.ts";
import { guardResponse, readBody, refuseBody, refuseHead, requestHeaders } from "./request_guard.ts";
import { HTTP_BODY_TIMEOUT_MS_DEFAULT } from "../limits.ts";
import type { EventHub } from "../live/hub.ts";
import { EVENTS_PATH, serveEvents } from "../live/events_endpoint.ts";

let requestCounter = 0;
/** A signal that never aborts (handleAppRequest outside serveApp). */
const NEVER = new AbortController().signal;
const PROCESS_TAG = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);

/** A new request id: process tag plus a counter (unique per process run). */
function nextRequestId(): string {
  return `${PROCESS_TAG}-${(++requestCounter).toString(36)}`;
}

function text(status: number, body: string, id: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-request-id": id },
  });
}

function toResponse(reply: GuestResponse, id: string): Response {
  let body: BodyInit | null = null;
  if (reply.body !== null) {
    if (Array.isArray(reply.body)) {
      const chunks = reply.body;
      body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
    } else body = reply.body as BodyInit;
  }
  const nullBody = reply.status === 204 || reply.status === 304 ||
    (reply.status >= 300 && reply.status < 400 && body === "");
  // Headers are added to the response's own list: a Headers object or a record in the init costs
  // about 5 µs more per response in Deno 2.9 (webidl conversion), appending about 1 µs.
  const response = new Response(nullBody ? null : body, { status: reply.status });
  const headers = response.headers;
  // A string body gave the response a default content-type (bytes and streams get none); the
  // guest's own replaces it.
  if (
    typeof body === "string" &&
    reply.headers.some(([name]) => name.length === 12 && name.toLowerCase() === "content-type")
  ) {
    headers.delete("content-type");
  }
  for (const [name, value] of reply.headers) headers.append(name, value);
  headers.set("x-request-id", id);
  return response;
}

/**
 * The answer to a HEAD request: the GET request's status and headers without its body. The one
 * place HEAD is handled: `handleAppRequest` runs it as a GET (assets, host endpoints, services:
 * none of them sees HEAD) and drops the body here.
 */
async function answerHead(get: Request, answer: (request: Request) => Promise<Response>): Promise<Response> {
  const response = await answer(get);
  await response.body?.cancel();
  return new Response(null, { status: response.status, headers: response.headers });
}

/** Answers one app request through the registry. */
export function handleAppRequest(
  registry: ServiceRegistry,
  router: ServiceRouter,
  request: Request,
  admin?: { ctx: AdminContext; remote: () => string },
  closing: AbortSignal = NEVER,
  events?: EventHub,
  bodyTimeoutMs = HTTP_BODY_TIMEOUT_MS_DEFAULT,
): Promise<Response> {
  const answer = (r: Request) => answerRequest(registry, router, r, admin, closing, events, bodyTimeoutMs);
  if (request.method !== "HEAD") return answer(request);
  const get = new Request(request.url, { method: "GET", headers: request.headers, signal: request.signal });
  return answerHead(get, answer);
}

/** Answers one app request (never HEAD: see answerHead) through the registry. */
async function answerRequest(
  registry: ServiceRegistry,
  router: ServiceRouter,
  request: Request,
  admin?: { ctx: AdminContext; remote: () => string },
  closing: AbortSignal = NEVER,
  events?: EventHub,
  bodyTimeoutMs = HTTP_BODY_TIMEOUT_MS_DEFAULT,
): Promise<Response> {
  const id = nextRequestId();
  const url = request.url;
  const read = requestHeaders(request);
  const refused = refuseHead(url, read, id);
  if (refused !== null) return refused;
  const { path, query } = splitRequestUrl(url);
  if (path.startsWith(ASSETS_PATH_PREFIX)) return await serveAsset(request, path, id);
  if (path === DEV_EVENTS_PATH) return serveDevEvents(registry, closing, id);
  if (events !== undefined && path === EVENTS_PATH) {
    return await serveEvents(events, request, new URL(request.url), id);
  }
  if (admin !== undefined && underPrefix(path, HOST_PATH_PREFIX)) {
    return await handleAdminRequest(admin.ctx, request, admin.remote(), id);
  }
  const method = request.method;
  router.sync(registry);
  const target = router.route(method, path);
  if (target === null) return text(404, `404 not found (request ${id})\n`, id);
  const body = request.body === null ? null : await readBody(request, bodyTimeoutMs);
  const bad = refuseBody(body, id);
  if (bad !== null) return bad;
  const guest: GuestRequest = {
    id,
    method,
    path,
    query,
    headers: read.list,
    body: body as Uint8Array | null,
  };
  const reply = await registry.dispatch(target.service, guest, target.route);
  return guardResponse(() => toResponse(reply, id), id);
}

/** Serves the app port. @throws PlanckError `unavailable` when the port cannot be bound */
export function serveApp(
  registry: ServiceRegistry,
  options: {
    hostname: string;
    port: number;
    admin?: Omit<AdminContext, "registry">;
    /** The SSE hub answering `GET /events` (absent when `sse.enabled` is false). */
    events?: EventHub;
    /** `limits.http_body_timeout_ms`. */
    bodyTimeoutMs?: number;
  },
): Deno.HttpServer {
  const router = new ServiceRouter();
  const ctx = options.admin === undefined ? undefined : { ...options.admin, registry };
  // Streams (the dev events) end when shutdown begins: Deno's graceful shutdown waits for every open
  // response, so an open browser tab would otherwise hold the stop forever.
  const closing = new AbortController();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve(
      { hostname: options.hostname, port: options.port, onListen: () => {} },
      (request, info) =>
        handleAppRequest(
          registry,
          router,
          request,
          // The peer address is read only for a host path (the login lockout counts by it).
          ctx && { ctx, remote: () => (info.remoteAddr as Deno.NetAddr).hostname },
          closing.signal,
          options.events,
          options.bodyTimeoutMs,
        ),
    );
  } catch (error) {
    throw new PlanckError(
      "unavailable",
      `Cannot listen on ${options.hostname}:${options.port} (app HTTP): ${(error as Error).message}`,
      { field: "ports.http" },
      { cause: error },
    );
  }
  const shutdown = server.shutdown.bind(server);
  server.shutdown = () => {
    closing.abort();
    options.events?.close();
    return shutdown();
  };
  return server;
}
