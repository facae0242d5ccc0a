/**
 * One HTTP request to a service = one transaction: the guest handler runs inside
 * `transaction(db, fn)` on a pooled instance; its host calls run through the transaction; its
 * writes commit as one WAL group after it returns, and the response is released only once that
 * group is durable (concurrent requests share the fsync: group commit). A long-running guest
 * yields the event loop between slices (guest_slice.ts), so other requests interleave with it;
 * the transaction's read set is validated at commit (optimistic concurrency, 503 on conflict).
 *
 * Invariants: a handler that loops, exhausts memory, traps, throws or replies over RESPONSE_BYTES_MAX commits nothing and gets a
 * 5xx whose body names the request id (also logged), and its instance is discarded; a request
 * that needed a store that did not exist yet is rolled back, the store created, and the request
 * re-run (at most STORE_CREATE_RETRIES times).
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { transaction } from "../../engine/db/transaction.ts";
import { type GuestRequest, type GuestResponse, RESPONSE_BYTES_MAX } from "../../protocol/abi.ts";
import { type FaultKind, GuestFault, type GuestInstance } from "./guest.ts";
import type { InstancePool } from "./pool.ts";
import { answerHostCall, type HostCallScope } from "./sandbox.ts";

/** Re-runs of a request after creating the stores it needed. */
export const STORE_CREATE_RETRIES = 4;

/** What a request runs with. */
export interface InvokeTarget {
  db: Database;
  service: string;
  pool: InstancePool;
  deadlineMs: number;
  log: (line: string) => void;
  /** Told when a request ends in a guest fault (for metrics). */
  onFault?: (kind: FaultKind) => void;
}

class MissingStores extends Error {
  readonly stores: string[];
  constructor(stores: string[]) {
    super(`Missing stores ${stores.join(", ")}`);
    this.stores = stores;
  }
}

/** Runs `request` on the service; resolves with its response once its writes are durable. */
export async function invokeService(target: InvokeTarget, request: GuestRequest): Promise<GuestResponse> {
  for (let attempt = 0;; attempt++) {
    // Taken and entered in the same turn (see InstancePool.tryAcquire).
    let instance: GuestInstance;
    try {
      instance = target.pool.tryAcquire() ?? await target.pool.acquire(Date.now() + target.deadlineMs);
    } catch (error) {
      return failureResponse(target, request.id, error);
    }
    // The instance goes back to the pool as soon as the guest returns, not after the commit is
    // durable: requests waiting for group commit must not each hold an instance.
    let released = false;
    const release = () => {
      if (!released) target.pool.release(instance);
      released = true;
    };
    const scope: Omit<HostCallScope, "tx"> = {
      service: target.service,
      missing: new Set(),
      log: (line) => target.log(`service ${target.service} request ${request.id}: ${line}`),
      logLines: 0,
    };
    try {
      const response = await transaction(target.db, async (tx) => {
        const callScope = { ...scope, tx } as HostCallScope;
        const host = (call: Record<string, unknown>, raw?: boolean) => answerHostCall(callScope, call, raw);
        let response: GuestResponse;
        try {
          response = await instance.handle(request, host, Date.now() + target.deadlineMs);
        } catch (error) {
          // A guest that failed because a store did not exist yet is re-run once it exists.
          if (callScope.missing.size > 0 && !(error instanceof GuestFault && error.kind === "timeout")) {
            throw new MissingStores([...scope.missing]);
          }
          throw error;
        } finally {
          release();
        }
        if (callScope.missing.size > 0) throw new MissingStores([...callScope.missing]);
        return response;
      });
      release();
      return response;
    } catch (error) {
      release();
      if (error instanceof MissingStores && attempt < STORE_CREATE_RETRIES) {
        for (const store of error.stores) await target.db.createStore(store, { ifNotExists: true });
        continue;
      }
      return failureResponse(target, request.id, error);
    }
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
export function failureResponse(target: InvokeTarget, requestId: string, error: unknown): GuestResponse {
  let status = 500;
  let summary = "internal error";
  if (error instanceof GuestFault) {
    target.onFault?.(error.kind);
    status = FAULT_STATUS[error.kind];
    summary = FAULT_SUMMARY[error.kind];
  } else if (error instanceof PlanckError && error.code === "conflict") {
    status = 503;
    summary = "conflict, retry";
  } else if (error instanceof PlanckError && error.code === "unavailable") {
    status = 503;
    summary = "all instances busy, retry";
  } else if (error instanceof MissingStores) {
    summary = "stores could not be created";
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
