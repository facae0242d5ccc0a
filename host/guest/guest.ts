/**
 * What every guest tier implements: an instance that answers one request at a time, calling back
 * into the host for store access, and the fault that makes it unusable. The QuickJS tier
 * (runtime.ts) and the native core-wasm tier (host/native/) both satisfy GuestInstance, so pools,
 * transactions, metrics and routing do not care which tier a service uses.
 *
 * Invariants: after a GuestFault the instance is `broken` and must be disposed, never reused.
 */
import type { GuestRequest, GuestResponse } from "../../protocol/abi.ts";

/**
 * Why a guest call failed: past its deadline, out of memory, a trap, an uncaught exception, or a
 * reply larger than RESPONSE_BYTES_MAX (abi.ts).
 */
export type FaultKind = "timeout" | "memory" | "trap" | "throw" | "response";

/** A guest call that did not produce a response; the instance must be discarded. */
export class GuestFault extends Error {
  readonly kind: FaultKind;
  constructor(kind: FaultKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GuestFault";
    this.kind = kind;
  }
}

/**
 * Key of a host-call reply that is already encoded: `{[RAW_REPLY]: bson}` is the whole BSON reply
 * document. Only a caller that passes `raw = "bson"` (the native tier) gets one.
 */
export const RAW_REPLY: unique symbol = Symbol("planck.rawReply");

/**
 * Key of a host-call reply that is already JSON text: `{[RAW_JSON_REPLY]: utf8}` is the whole reply
 * as tagged JSON (UTF-8 bytes) for a guest (framework/guest_json.ts). Only a caller that passes `raw = "json"` (the
 * QuickJS tier) gets one.
 */
export const RAW_JSON_REPLY: unique symbol = Symbol("planck.rawJsonReply");

/** The encoded reply a tier takes when the host can write one from stored bytes: BSON or JSON text. */
export type RawForm = "bson" | "json";

/**
 * A host call as a value: the guest's request document in (`{op: "query", query}`, `{op: "log",
 * level, message}`, `{op: "random", bytes}` or a data query document itself), the reply document
 * out (`{ok: true, result}` or `{ok: false, error: {code, message, field?}}`). Never throws.
 */
export type HostCall = (call: Record<string, unknown>, raw?: RawForm) => Record<string | symbol, unknown>;

/** One instance of a deployed service, of any tier. Not reentrant: one request at a time. */
export interface GuestInstance {
  /** True once a fault made this instance unusable. */
  readonly broken: boolean;
  /**
   * Runs one request to its end; `host` answers the guest's host calls during this call only. A
   * long-running guest yields the event loop between slices (guest_slice.ts) before it settles.
   * `deadlineMs` is an absolute `Date.now()` time.
   * @throws GuestFault (the instance is then broken)
   */
  handle(request: GuestRequest, host: HostCall, deadlineMs: number): Promise<GuestResponse>;
  /** Frees the instance; safe to call twice. */
  dispose(): void;
}
