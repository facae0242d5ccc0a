/**
 * The guest side of host calls: the one injected synchronous function `__planck_host(json)` and
 * the builder Transport over it, so handlers query their stores with the same typed builder as
 * native code: `store<Order>("orders").filter(...).find()`.
 *
 * Invariants: a failed host call rejects with a HostError carrying the host's code; calls are
 * synchronous underneath, so an awaited query settles within the same request.
 */
import type { QueryDocument } from "../protocol/query_document.ts";
import { from, type StoreQuery } from "../builder/query_builder.ts";
import type { Transport } from "../builder/transport.ts";
import { decodeFromHost, encodeForHost } from "./guest_json.ts";

declare const __planck_host: ((json: string) => string) | undefined;

/** A host call that failed; `code` is a Planck error code (docs/errors.md). */
export class HostError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.name = "HostError";
    this.code = code;
    this.field = field;
  }
}

function call(message: unknown): unknown {
  if (typeof __planck_host !== "function") {
    throw new HostError("unavailable", "No host: store access works only inside a deployed service");
  }
  const reply = decodeFromHost(__planck_host(encodeForHost(message))) as {
    ok: boolean;
    result?: unknown;
    error?: { code: string; message: string; field?: string };
  };
  if (!reply.ok) throw new HostError(reply.error!.code, reply.error!.message, reply.error!.field);
  return reply.result;
}

/** Runs one query document against the service's own stores, synchronously. @throws HostError */
export function querySync(query: QueryDocument): unknown {
  return call({ op: "query", query });
}

/** The builder transport over host calls. */
export const hostTransport: Transport = {
  run: (query) => Promise.resolve().then(() => querySync(query)),
};

/** A typed query on one of the service's stores. */
export function store<T = Record<string, unknown>>(name: string): StoreQuery<T> {
  return from<T>(name, hostTransport);
}

/** Writes a line to the host log, tagged with the service and request id. */
export function log(message: string, level: "info" | "warn" | "error" = "info"): void {
  call({ op: "log", level, message });
}

/** `bytes` random bytes from the host's CSPRNG, as hex (Math.random is not for secrets). */
export function randomHex(bytes = 16): string {
  return call({ op: "random", bytes }) as string;
}

/**
 * The LSN of the last write committed when called. A page that reads its data after asking shows
 * every write up to it: connect its EventSource with `/events?topic=…&lastEventId=<lsn>` and no
 * write falls between the page and its stream (a write racing the read may arrive in both).
 */
export function currentLsn(): number {
  return call({ op: "lsn" }) as number;
}
