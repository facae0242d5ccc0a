/**
 * Routing for AssemblyScript services and the three exports of the native ABI (docs/wasm-abi.md):
 * `route("GET", "/orders/:id", handler)` with top-level-function handlers, `index(...)` for the
 * indexes the host creates at deploy, and `planck_alloc`, `planck_handle`, `planck_describe`,
 * which the service's entry file re-exports:
 *
 *     export { planck_alloc, planck_describe, planck_handle } from "planck";
 *
 * Routes are registered under the service's prefix (planck.json "prefix", written into config.ts
 * by `planck build`), so they match full request paths and describe() reports full paths.
 *
 * Invariants: routes match in the order added, on the path without the query string (a pattern
 * is split, and its parameter names cut, once when added); `:name` captures one decoded segment,
 * a final `*` the rest; a known path with another method is 405 with Allow, any other path 404;
 * HEAD never arrives (the host runs it as GET). A buffer lent by planck_alloc stays referenced from a global until
 * planck_handle takes it, then from its Request (so the GC keeps it while it is read); the
 * response bytes stay valid until the next call.
 */
import { BsonWriter, ITEM } from "./bson";
import { BsonDoc } from "./bson_reader";
import { PREFIX } from "./config";
import { decodeComponent, indexOfUnit, Request, Response } from "./http";
import { describeTopics } from "./topics";

/** A request handler: a top-level function (closures that capture do not compile). */
export type Handler = (req: Request) => Response;

class Route {
  readonly segments: string[];
  /** Per segment: the parameter name of a `:name` segment, else null (split once, at start). */
  readonly params: Array<string | null>;
  constructor(
    readonly method: string,
    readonly path: string,
    readonly handler: Handler,
  ) {
    const segments = path.split("/");
    const params = new Array<string | null>(segments.length);
    for (let i = 0; i < segments.length; i++) {
      const segment = unchecked(segments[i]);
      unchecked(params[i] = segment.startsWith(":") ? segment.substring(1) : null);
    }
    this.segments = segments;
    this.params = params;
  }
}

class IndexDeclaration {
  constructor(
    readonly name: string,
    readonly store: string,
    readonly fields: string[],
    readonly unique: bool,
  ) {}
}

const routes: Route[] = [];
const indexes: IndexDeclaration[] = [];

/** Adds a route: method "GET", "POST", "PUT", "PATCH", "DELETE" or "ALL"; path under the prefix. */
export function route(method: string, path: string, handler: Handler): void {
  if (!path.startsWith("/")) abort('Route pattern "' + path + '" must start with "/"');
  const full = PREFIX.length == 0 ? path : path == "/" ? PREFIX : PREFIX + path;
  routes.push(new Route(upperAscii(method), full, handler));
}

function upperAscii(s: string): string {
  const units = new Array<string>(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    unchecked(units[i] = String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c));
  }
  return units.join("");
}

/** Declares an index the host creates at deploy; a field "-created" sorts descending. */
export function index(name: string, store: string, fields: string[], unique: bool = false): void {
  indexes.push(new IndexDeclaration(name, store, fields, unique));
}

/** The route matching `req` (its params set), or null. */
function match(req: Request, path: string): Route | null {
  for (let i = 0; i < routes.length; i++) {
    const r = unchecked(routes[i]);
    if ((r.method == req.method || r.method == "ALL") && matchPath(r, path, req)) return r;
  }
  return null;
}

/** The methods of the routes whose pattern matches `path` (for a 405's Allow). */
function allowed(req: Request, path: string): string[] {
  const allow: string[] = [];
  for (let i = 0; i < routes.length; i++) {
    const r = unchecked(routes[i]);
    if (matchPath(r, path, req) && !allow.includes(r.method)) allow.push(r.method);
  }
  return allow;
}

/** Whether `path` fits the route's segments (walked in place); on a match req has the params. */
function matchPath(route: Route, path: string, req: Request): bool {
  req.clearParams();
  const pattern = route.segments;
  const last = pattern.length - 1;
  let at = 1; // after the leading "/"
  for (let i = 1; i <= last; i++) {
    const p = unchecked(pattern[i]);
    if (i == last && p == "*") {
      req.setParam("*", decodeComponent(at <= path.length ? path.substring(at) : "", false));
      return true;
    }
    if (at > path.length) return false;
    let end = indexOfUnit(path, 47, at); // "/"
    if (end < 0) end = path.length;
    const param = unchecked(route.params[i]);
    if (param !== null) {
      if (end == at) return false;
      req.setParam(param, decodeComponent(path.substring(at, end), false));
    } else if (!segmentIs(path, at, end, p)) {
      return false;
    }
    at = end + 1;
  }
  return at > path.length;
}

/** Whether path[at, end) is `segment`, without allocating. */
function segmentIs(path: string, at: i32, end: i32, segment: string): bool {
  const n = segment.length;
  if (end - at != n) return false;
  const a = changetype<usize>(path) + (<usize> at << 1);
  return memory.compare(a, changetype<usize>(segment), <usize> n << 1) == 0;
}

/** Answers one request (internal: planck_handle calls it). */
export function dispatch(req: Request): Response {
  let path = req.path;
  if (path.length > 1 && path.endsWith("/")) path = path.substring(0, path.length - 1);
  const found = match(req, path);
  if (found !== null) return found.handler(req);
  const allow = allowed(req, path);
  req.clearParams();
  if (allow.length > 0) return Response.text("Method not allowed", 405).header("allow", allow.join(", "));
  return Response.text("Not found", 404);
}

// --- The ABI exports ------------------------------------------------------------------------

/** Buffers lent by planck_alloc since the last planck_handle (referenced, so the GC keeps them). */
const lent: ArrayBuffer[] = [];
const reply = new BsonWriter(1024);
const ret = new ArrayBuffer(8);

/** ABI: a fresh buffer of `len` bytes for the host to write a request into. */
export function planck_alloc(len: i32): usize {
  if (len < 0) abort("planck_alloc: negative length");
  const buffer = new ArrayBuffer(len);
  lent.push(buffer);
  return changetype<usize>(buffer);
}

/** ABI: handles the request document at `ptr`; returns the address of [resp_ptr, resp_len]. */
export function planck_handle(ptr: usize, len: i32): usize {
  let buffer: ArrayBuffer | null = null;
  for (let i = lent.length - 1; i >= 0 && buffer === null; i--) {
    if (changetype<usize>(unchecked(lent[i])) == ptr) buffer = unchecked(lent[i]);
  }
  if (buffer === null) abort("planck_handle: the request is not in a buffer from planck_alloc");
  const req = new Request(new BsonDoc(Uint8Array.wrap(buffer!, 0, len)));
  lent.length = 0;
  dispatch(req).encode(reply.reset());
  return answer(reply.finish());
}

/** ABI: the routes, indexes and topics (BSON) for `planck build`. */
export function planck_describe(): usize {
  const w = reply.reset().startArray("routes");
  for (let i = 0; i < routes.length; i++) {
    const r = unchecked(routes[i]);
    w.startDocument(ITEM).addString("method", r.method).addString("path", r.path).end();
  }
  w.end().startArray("indexes");
  for (let i = 0; i < indexes.length; i++) {
    const x = unchecked(indexes[i]);
    w.startDocument(ITEM).addString("name", x.name).addString("store", x.store).startArray("fields");
    for (let j = 0; j < x.fields.length; j++) {
      const f = unchecked(x.fields[j]);
      const desc = f.startsWith("-");
      w.startDocument(ITEM).addString("path", desc ? f.substring(1) : f)
        .addString("direction", desc ? "desc" : "asc").end();
    }
    w.end();
    if (x.unique) w.addBool("unique", true);
    w.end();
  }
  w.end();
  describeTopics(w);
  return answer(w.finish());
}

function answer(bytes: Uint8Array): usize {
  const at = changetype<usize>(ret);
  store<u32>(at, <u32> bytes.dataStart);
  store<u32>(at + 4, <u32> bytes.length);
  return at;
}
