/**
 * Limits of the app port on what a client sends (docs/security.md, "HTTP"): the request head
 * (414 for a long URL, 431 for too many or too large headers), the body (413 past
 * REQUEST_BODY_BYTES_MAX, read chunk by chunk; 408 when it does not arrive within
 * `limits.http_body_timeout_ms`; 400 when the client cuts it off), and a guest's response headers
 * (a name or value Deno refuses, such as one holding CR or LF, becomes the host's 500 naming it
 * instead of an exception out of the handler).
 *
 * The workbench port gets the same head limits and body deadline through `guardPort` (its handler
 * reads and bounds its own bodies).
 *
 * Invariants: a body is never buffered past REQUEST_BODY_BYTES_MAX; a body read never waits past
 * its deadline; every refusal carries the request id.
 */
import { REQUEST_BODY_BYTES_MAX } from "../../protocol/abi.ts";
import { HTTP_HEADER_BYTES_MAX, HTTP_HEADERS_MAX, HTTP_URL_BYTES_MAX } from "../limits.ts";

/** A plain-text refusal carrying the request id. */
export function refusal(status: number, body: string, id: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-request-id": id },
  });
}

/** A request's headers as `[name, value]` pairs (lower-case names, combined, sorted) and their bytes. */
export interface RequestHeaders {
  list: [string, string][];
  /** Sum of name and value lengths (UTF-16 units). */
  bytes: number;
}

/**
 * The headers of `request`, copied with `Headers.forEach` (measured in Deno 2.9: ≈ 0.5 µs per
 * request against ≈ 3–4 µs for `[...headers]`, whose iterator objects cost more than the copy);
 * the same pairs in the same order as iterating.
 */
export function requestHeaders(request: Request): RequestHeaders {
  const out: RequestHeaders = { list: [], bytes: 0 };
  request.headers.forEach(collect, out);
  return out;
}

function collect(this: RequestHeaders, value: string, name: string): void {
  this.list.push([name, value]);
  this.bytes += name.length + value.length;
}

/**
 * The refusal of a request head over the limits, or null. Deno itself answers 400 before any handler
 * runs when the head passes its own buffer (about 64 KiB), so these limits sit well below that.
 */
export function refuseHead(url: string, headers: RequestHeaders, id: string): Response | null {
  if (url.length > HTTP_URL_BYTES_MAX) {
    return refusal(
      414,
      `414 URL longer than HTTP_URL_BYTES_MAX (${HTTP_URL_BYTES_MAX}) (request ${id})\n`,
      id,
    );
  }
  if (headers.list.length > HTTP_HEADERS_MAX) {
    return refusal(431, `431 more than HTTP_HEADERS_MAX (${HTTP_HEADERS_MAX}) headers (request ${id})\n`, id);
  }
  if (headers.bytes > HTTP_HEADER_BYTES_MAX) {
    return refusal(
      431,
      `431 headers larger than HTTP_HEADER_BYTES_MAX (${HTTP_HEADER_BYTES_MAX}) (request ${id})\n`,
      id,
    );
  }
  return null;
}

/** What reading a body gave: its bytes, none, or why it was refused. */
export type BodyRead = Uint8Array | null | "too_large" | "incomplete" | "timeout";

/**
 * Reads a request body of at most REQUEST_BODY_BYTES_MAX, chunk by chunk: a body that grows past the
 * limit (a chunked upload declares no length) is refused as soon as it does, never buffered whole;
 * a body the client cut off (it closed mid-body, or sent fewer bytes than it declared) is "incomplete";
 * a body still arriving after `timeoutMs` (a slow client) is "timeout" and its reading is cancelled.
 */
export async function readBody(request: Request, timeoutMs: number): Promise<BodyRead> {
  if (request.body === null) return null;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > REQUEST_BODY_BYTES_MAX) return "too_large";
  const reader = request.body.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, timeoutMs);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (timedOut) return "timeout";
      if (done) break;
      total += value.length;
      if (total > REQUEST_BODY_BYTES_MAX) {
        await reader.cancel().catch(() => {});
        return "too_large";
      }
      chunks.push(value);
    }
  } catch {
    return timedOut ? "timeout" : "incomplete";
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** The refusal for a body that could not be read, or null when `body` is usable. */
export function refuseBody(body: BodyRead, id: string): Response | null {
  if (body === "too_large") return refusal(413, `413 request body too large (request ${id})\n`, id);
  if (body === "incomplete") return refusal(400, `400 incomplete request body (request ${id})\n`, id);
  if (body === "timeout") return refusal(408, `408 request body not received in time (request ${id})\n`, id);
  return null;
}

/**
 * Builds the response with `build`; a guest's header that Deno refuses (a name that is no HTTP token,
 * a value holding CR, LF or NUL: header injection) makes it the host's 500 naming the header.
 */
export function guardResponse(build: () => Response, id: string): Response {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const what = error.message.slice(0, 200).replace(/[\r\n\0]/g, "\\n");
    return refusal(500, `500 the service returned an invalid response header: ${what} (request ${id})\n`, id);
  }
}

/** A handler of a port served by Deno.serve. */
export type PortHandler = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

/**
 * The limits of this file for a port whose handler reads its own bodies (the workbench, whose
 * deploys are larger than REQUEST_BODY_BYTES_MAX and bounded by the handler): the head limits (414,
 * 431) before the handler runs, and the body's deadline — a body still arriving `bodyTimeoutMs` after
 * the request came is cut, and the request is answered 408 whatever the handler made of the cut.
 * Every refusal carries an id from `nextId`.
 */
export function guardPort(handler: PortHandler, bodyTimeoutMs: number, nextId: () => string): PortHandler {
  return async (request, info) => {
    const id = nextId();
    const refused = refuseHead(request.url, requestHeaders(request), id);
    if (refused !== null) return refused;
    if (request.body === null) return await handler(request, info);
    const source = request.body.getReader();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      source.cancel().catch(() => {});
    }, bodyTimeoutMs);
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await source.read();
          if (timedOut) controller.error(new Error(`request body not received in time (request ${id})`));
          else if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: (reason) => source.cancel(reason),
    });
    const timeout = () => refuseBody("timeout", id)!;
    try {
      // A new request over the same head (not `new Request(request)`, which would read its signal).
      const init = { method: request.method, headers: request.headers, body, duplex: "half" };
      const response = await handler(new Request(request.url, init as RequestInit), info);
      return timedOut ? timeout() : response;
    } catch (error) {
      if (timedOut) return timeout();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Request ids for a port: a process tag and a counter, as the app port's (unique per process run). */
export function requestIds(): () => string {
  const tag = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  let counter = 0;
  return () => `${tag}-${(++counter).toString(36)}`;
}
