/**
 * One HTTP request to a service = one transaction: the guest handler runs inside
 * `transaction(db, fn)` on a pooled instance; its host calls run through the transaction; its
 * writes commit as one WAL group after it returns, and the response is released only once that
 * group is durable (concurrent requests share the fsync: group commit). A long-running guest
 * yields the event loop between slices (guest_slice.ts), so other requests interleave with it;
 * the transaction's read set is validated at commit (optimistic concurrency, 503 on conflict).
 *
 * Invariants: a handler that loops, exhausts memory, traps, throws, replies over RESPONSE_BYTES_MAX
 * or with a header the host will not send (reply_headers.ts) commits nothing and gets a 5xx whose
 * body names the request id (also logged), and a fault's instance is discarded; a handler runs
 * once per request (a store it needs is created by its host call, sandbox.ts); the instance goes
 * back to the pool when the guest returns, before the commit is durable.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { transaction } from "../../engine/tx/transaction.ts";
import { type GuestRequest, type GuestResponse, RESPONSE_BYTES_MAX } from "../../protocol/abi.ts";
import { type FaultKind, GuestFault, type GuestInstance, type RawForm } from "./guest.ts";
import type { InstancePool } from "./pool.ts";
import { checkReplyHeaders, InvalidReplyHeader } from "./reply_headers.ts";
import { answerHostCall, type HostCallScope } from "./sandbox.ts";

/** What a request runs with (one per deployed version, shared by its requests). */
export interface InvokeTarget {
  db: Database;
  service: string;
  pool: InstancePool;
  deadlineMs: number;
  log: (line: string) => void;
  /** Told when a request on `route` ends in a guest fault (for metrics). */
  onFault?: (kind: FaultKind, route: string) => void;
}

/**
 * Runs `request` on the service; resolves with its response once its writes are durable. `route`
 * labels a fault for `onFault`.
 */
export async function invokeService(
  target: InvokeTarget,
  request: GuestRequest,
  route = "(unrouted)",
): Promise<GuestResponse> {
  // Taken and entered in the same turn (see InstancePool.tryAcquire).
  let instance: GuestInstance;
  try {
    instance = target.pool.tryAcquire() ?? await target.pool.acquire(Date.now() + target.deadlineMs);
  } catch (error) {
    return failureResponse(target, request.id, error);
  }
  const run = new RequestRun(target, request, instance);
  try {
    return await transaction(target.db, run.handle);
  } catch (error) {
    if (error instanceof GuestFault) target.onFault?.(error.kind, route);
    return failureResponse(target, request.id, error);
  } finally {
    run.release();
  }
}

/** One request on one instance: its host-call scope and the instance's return to the pool. */
class RequestRun implements HostCallScope {
  readonly service: string;
  tx = undefined as unknown as HostCallScope["tx"];
  logLines = 0;
  readonly #target: InvokeTarget;
  readonly #request: GuestRequest;
  readonly #instance: GuestInstance;
  #released = false;

  constructor(target: InvokeTarget, request: GuestRequest, instance: GuestInstance) {
    this.service = target.service;
    this.#target = target;
    this.#request = request;
    this.#instance = instance;
  }

  log = (line: string): void =>
    this.#target.log(`service ${this.service} request ${this.#request.id}: ${line}`);

  host = (call: Record<string, unknown>, raw?: RawForm) => answerHostCall(this, call, raw);

  handle = async (tx: HostCallScope["tx"]): Promise<GuestResponse> => {
    this.tx = tx;
    try {
      const reply = await this.#instance.handle(
        this.#request,
        this.host,
        Date.now() + this.#target.deadlineMs,
      );
      checkReplyHeaders(reply.headers); // before the commit: a refused response keeps no writes
      return reply;
    } finally {
      // Requests waiting for group commit must not each hold an instance.
      this.release();
    }
  };

  release(): void {
    if (!this.#released) this.#target.pool.release(this.#instance);
    this.#released = true;
  }
}

const FAULT_STATUS: Record<FaultKind, number> = {
  timeout: 504,
  memory: 500,
  trap: 500,
  throw: 500,
  response: 500,
};
const FAULT_SUMMARY: Record<FaultKind, string> = {
  timeout: "deadline exceeded",
  memory: "out of memory",
  trap: "trap",
  throw: "uncaught error",
  response: `response too large (the limit RESPONSE_BYTES_MAX is ${RESPONSE_BYTES_MAX} bytes)`,
};

/** The 5xx of a failed request; the cause is logged with the request id. */
export function failureResponse(
  target: Pick<InvokeTarget, "service" | "log">,
  requestId: string,
  error: unknown,
): GuestResponse {
  let status = 500;
  let summary = "internal error";
  if (error instanceof InvalidReplyHeader) {
    summary = error.message;
  } else if (error instanceof GuestFault) {
    status = FAULT_STATUS[error.kind];
    summary = FAULT_SUMMARY[error.kind];
  } else if (error instanceof PlanckError && error.code === "conflict") {
    status = 503;
    summary = "conflict, retry";
  } else if (error instanceof PlanckError && error.code === "unavailable") {
    status = 503;
    summary = "all instances busy, retry";
  }
  target.log(
    `service ${target.service} request ${requestId} failed (${summary}): ${
      (error as Error).message ?? error
    }`,
  );
  return {
    status,
    headers: [["content-type", "text/plain; charset=utf-8"], ["x-request-id", requestId]],
    body: `${status} ${summary} (request ${requestId})\n`,
  };
}
