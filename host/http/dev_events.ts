/**
 * `GET /_planck/dev/events`: a Server-Sent Events stream of the deployed set's generation, for
 * `planck dev`'s browser reload (host/http/dev_reload.js). On connect it sends
 * `event: generation` with `{generation, services: [{name, version}]}`, and again each time a
 * deploy or undeploy changes the generation; a comment line every DEV_EVENTS_HEARTBEAT_MS keeps
 * proxies from closing it. It tells nothing a page of the app could not see (names and versions).
 *
 * Invariants: at most DEV_EVENTS_SUBSCRIBERS_MAX streams are open (more get 503); every stream
 * ends when its client goes away (the stream is cancelled) or the server starts shutting down
 * (`closing`), so an open page
 * never holds up a graceful stop.
 */
import type { ServiceRegistry } from "../services/registry.ts";

/** Path of the stream. */
export const DEV_EVENTS_PATH = "/_planck/dev/events";
/** Open streams at most (each costs one timer). */
export const DEV_EVENTS_SUBSCRIBERS_MAX = 64;
/** How often a stream looks at the registry's generation, in milliseconds. */
export const DEV_EVENTS_POLL_MS = 100;
/** Interval of keep-alive comments, in milliseconds. */
export const DEV_EVENTS_HEARTBEAT_MS = 15_000;
/** Reconnect delay the stream asks EventSource for, in milliseconds. */
const RECONNECT_MS = 250;

let open = 0;

function generationEvent(registry: ServiceRegistry): string {
  const services = registry.versions().map((v) => ({ name: v.manifest.name, version: v.manifest.version }));
  return `event: generation\ndata: ${JSON.stringify({ generation: registry.generation, services })}\n\n`;
}

/** Answers the dev events stream. */
export function serveDevEvents(
  registry: ServiceRegistry,
  closing: AbortSignal,
  id: string,
): Response {
  if (open >= DEV_EVENTS_SUBSCRIBERS_MAX) {
    return new Response(`503 too many dev event streams (request ${id})\n`, {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8", "x-request-id": id },
    });
  }
  open++;
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let seen = registry.generation;
      let quietMs = 0;
      const end = () => {
        if (ended) return;
        ended = true;
        open--;
        clearInterval(timer);
        try {
          controller.close();
        } catch {
          // already cancelled by the client
        }
      };
      controller.enqueue(encoder.encode(`retry: ${RECONNECT_MS}\n${generationEvent(registry)}`));
      timer = setInterval(() => {
        if (closing.aborted) return end();
        quietMs += DEV_EVENTS_POLL_MS;
        if (registry.generation !== seen) {
          seen = registry.generation;
          quietMs = 0;
          controller.enqueue(encoder.encode(generationEvent(registry)));
        } else if (quietMs >= DEV_EVENTS_HEARTBEAT_MS) {
          quietMs = 0;
          controller.enqueue(encoder.encode(": heartbeat\n\n"));
        }
      }, DEV_EVENTS_POLL_MS);
      closing.addEventListener("abort", end, { once: true });
    },
    cancel() {
      if (ended) return;
      ended = true;
      open--;
      clearInterval(timer);
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-request-id": id,
    },
  });
}
