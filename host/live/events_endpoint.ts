/**
 * `GET /events?topic=NAME[&topic=…]` on the app port: checks the request, authorizes each topic
 * (the owning service's middleware and the topic's authorize function run in the guest before any
 * byte of the stream), and answers with the hub's stream (docs/changes.md, "Server-Sent Events").
 * The resume point is the `Last-Event-ID` header, else the `lastEventId` query parameter.
 *
 * Invariants: every refusal is a JSON error `{error: {code, message, field?}}` sent before the
 * stream opens; at most SSE_SUBSCRIBERS_MAX streams are open; no guest runs for an unknown topic.
 */
import { SSE_SUBSCRIBERS_MAX, SSE_TOPICS_PER_CONNECTION_MAX } from "../limits.ts";
import type { EventHub } from "./hub.ts";
import type { TopicRuntime } from "./topic_runtime.ts";

/** Path of the stream. */
export const EVENTS_PATH = "/events";

function refuse(
  status: number,
  code: string,
  message: string,
  id: string,
  extra: { field?: string; topic?: string; headers?: [string, string][] } = {},
): Response {
  const error: Record<string, string> = { code, message };
  if (extra.field !== undefined) error.field = extra.field;
  if (extra.topic !== undefined) error.topic = extra.topic;
  const headers = new Headers({ "content-type": "application/json", "x-request-id": id });
  for (const [name, value] of extra.headers ?? []) headers.append(name, value);
  return new Response(JSON.stringify({ error }) + "\n", { status, headers });
}

const PASSED_HEADERS = new Set(["set-cookie", "www-authenticate", "location"]);

/** Answers a request for EVENTS_PATH. */
export async function serveEvents(hub: EventHub, request: Request, url: URL, id: string): Promise<Response> {
  if (request.method !== "GET") {
    return refuse(405, "invalid_argument", `Method ${request.method} not allowed: use GET`, id, {
      headers: [["allow", "GET"]],
    });
  }
  const names = [...new Set(url.searchParams.getAll("topic"))];
  if (names.length === 0) {
    return refuse(400, "invalid_argument", "Missing topic: GET /events?topic=NAME", id, { field: "topic" });
  }
  if (names.length > SSE_TOPICS_PER_CONNECTION_MAX) {
    return refuse(
      400,
      "limit_exceeded",
      `Too many topics: ${names.length} (the limit SSE_TOPICS_PER_CONNECTION_MAX is ${SSE_TOPICS_PER_CONNECTION_MAX})`,
      id,
      { field: "topic" },
    );
  }
  const topics: TopicRuntime[] = [];
  for (const name of names) {
    const topic = hub.topic(name);
    if (topic === undefined) {
      return refuse(404, "not_found", `No topic "${name.slice(0, 80)}"`, id, { field: "topic", topic: name });
    }
    topics.push(topic);
  }
  const last = request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId");
  if (last !== null && !/^\d{1,15}$/.test(last.trim())) {
    return refuse(
      400,
      "invalid_argument",
      `Invalid Last-Event-ID "${last.slice(0, 40)}": expected an LSN`,
      id,
      {
        field: "last-event-id",
      },
    );
  }
  for (const topic of topics) {
    if (!topic.declaration.authorize) continue;
    const reply = await hub.authorize(topic, {
      id,
      method: "GET",
      path: url.pathname,
      // The middleware sees one topic per call: GET /events?topic=NAME with the client's headers.
      query: new URLSearchParams({ topic: topic.declaration.name }).toString(),
      headers: [...request.headers],
      body: null,
    });
    if (reply.status === 204) continue;
    const status = reply.status >= 400 && reply.status < 500 ? reply.status : reply.status < 400 ? 403 : 500;
    const code = status === 401
      ? "unauthorized"
      : status === 403
      ? "forbidden"
      : status === 500
      ? "internal"
      : "forbidden";
    const text = typeof reply.body === "string" ? reply.body.slice(0, 200) : "";
    const headers = reply.headers.filter(([name]) => PASSED_HEADERS.has(name.toLowerCase()));
    return refuse(status, code, `Topic "${topic.declaration.name}" refused: ${text || status}`, id, {
      topic: topic.declaration.name,
      headers,
    });
  }
  if (hub.subscriberCount >= SSE_SUBSCRIBERS_MAX) {
    return refuse(
      503,
      "unavailable",
      `Too many event streams (SSE_SUBSCRIBERS_MAX is ${SSE_SUBSCRIBERS_MAX})`,
      id,
    );
  }
  const subscriber = hub.open(topics, last === null ? "now" : Number(last.trim()));
  return new Response(subscriber.stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      "x-request-id": id,
    },
  });
}
