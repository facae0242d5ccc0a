/**
 * One instance of a native service (docs/wasm-abi.md, "Native tier"): the fuel-injected module
 * instantiated against a host-created, capped `WebAssembly.Memory` and the host's imports
 * (session.ts), and the mapping of everything that can go wrong to a GuestFault kind.
 *
 * A request is BSON-encoded straight into a buffer from `planck_alloc` (bson_fast.ts), run by
 * `planck_handle`, and the BSON response it points to is decoded in place. Time is bounded by
 * fuel: `out_of_fuel` refills a slice while the deadline has not passed, and it is a Suspending
 * import, so a guest that has run GUEST_SLICE_MS yields the event loop there (guest_slice.ts);
 * `planck_handle` and `planck_describe` are entered through `WebAssembly.promising`. Memory is
 * bounded by the Memory's maximum.
 *
 * Invariants: not reentrant (one request at a time, host calls never call back into the guest);
 * after any fault the instance is `broken` and never runs again; memory never grows past
 * min(cap, the module's declared maximum).
 */
import { Binary } from "bson";
import { assert } from "../../engine/assert.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { GuestRequest, GuestResponse } from "../../protocol/abi.ts";
import { GuestFault, type GuestInstance, type HostCall } from "../guest/guest.ts";
import { type GuestEntry, isSuspendError, promising } from "../guest/guest_slice.ts";
import { EXPORT_DESCRIBE, FUEL_GLOBAL_EXPORT, FUEL_SLICE, PAGE_BYTES, PAGES_MAX } from "./core_abi.ts";
import { RequestWriter, Utf8Body } from "./bson_fast.ts";
import { NativeSession } from "./session.ts";
import type { NativeShape } from "./validate.ts";

/** A trap while linear memory is at least this fraction of its maximum counts as running out of memory. */
const MEMORY_FULL_FRACTION = 0.9;
/** What `handle` does, in fault messages (its response body may stay UTF-8 bytes: Utf8Body). */
const HANDLING = "handling a request";
/** Deadline for `describe` when none is given, in milliseconds. */
const DESCRIBE_DEADLINE_MS = 5_000;

interface Exports {
  planck_alloc(len: number): number;
  planck_handle(ptr: number, len: number): number;
  planck_describe?(): number;
  [FUEL_GLOBAL_EXPORT]: WebAssembly.Global;
}

/** One instance of a native service. Not reentrant: one request at a time. */
export class NativeInstance implements GuestInstance {
  readonly #session: NativeSession;
  readonly #exports: Exports;
  readonly #handle: GuestEntry;
  readonly #writer = new RequestWriter();
  #broken = false;
  #disposed = false;

  private constructor(session: NativeSession, exports: Exports) {
    this.#session = session;
    this.#exports = exports;
    this.#handle = promising(exports.planck_handle);
  }

  /**
   * Instantiates `module` (fuel-injected, see prepare.ts) with a memory of the module's declared
   * minimum and at most `limits.memoryBytes` (or the declared maximum if smaller).
   * @throws PlanckError `limit_exceeded` when the declared minimum is over the cap; GuestFault when
   * the start function faults
   */
  static async create(
    module: WebAssembly.Module,
    shape: NativeShape,
    limits: { memoryBytes: number },
  ): Promise<NativeInstance> {
    assert(shape.fueled, "a native module is instantiated only after fuel injection");
    const maximum = Math.min(Math.floor(limits.memoryBytes / PAGE_BYTES), shape.memoryPagesMax ?? PAGES_MAX);
    if (shape.memoryPagesMin > maximum) {
      throw new PlanckError(
        "limit_exceeded",
        `The service needs ${shape.memoryPagesMin} pages of memory at start, over the cap of ${maximum} pages ` +
          `(${limits.memoryBytes} bytes)`,
        { limit: "memoryBytes" },
      );
    }
    const memory = new WebAssembly.Memory({ initial: shape.memoryPagesMin, maximum });
    const session = new NativeSession(memory, maximum * PAGE_BYTES);
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(module, session.imports());
    } catch (error) {
      if (error instanceof WebAssembly.LinkError) throw error;
      throw toFault(error, session, "starting the module");
    }
    const exports = instance.exports as unknown as Exports;
    session.fuel = exports[FUEL_GLOBAL_EXPORT];
    return new NativeInstance(session, exports);
  }

  /** True once a fault made this instance unusable. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Times this instance's guest yielded the event loop mid-run (guest_slice.ts). */
  get yields(): number {
    return this.#session.slice.yields;
  }

  /** Linear memory in use, in bytes. */
  get memoryBytes(): number {
    return this.#session.memory.buffer.byteLength;
  }

  /**
   * Runs one request through `planck_handle`; `host` answers the guest's host calls during it.
   * @throws GuestFault (the instance is then broken)
   */
  async handle(request: GuestRequest, host: HostCall, deadlineMs: number): Promise<GuestResponse> {
    const session = this.#session;
    const doc = await this.#run(host, deadlineMs, HANDLING, () => {
      // The request is written straight into the buffer the guest allocates for it.
      const { ptr, length } = this.#writer.write(
        request,
        session.memory,
        (bound) => this.#exports.planck_alloc(bound) >>> 0,
        (ptr, bound) => session.checkBuffer(ptr, bound, "planck_alloc"),
      );
      return this.#handle(ptr, length);
    });
    return this.#guarded(() => toResponse(doc));
  }

  /**
   * Calls `planck_describe` (used by `planck build`) and returns its document.
   * @throws GuestFault (the instance is then broken)
   */
  describe(deadlineMs: number = Date.now() + DESCRIBE_DEADLINE_MS): Promise<Record<string, unknown>> {
    const describe = this.#exports.planck_describe;
    if (describe === undefined) {
      this.#broken = true;
      throw new GuestFault("throw", `The module does not export "${EXPORT_DESCRIBE}"`);
    }
    const entry = promising(describe);
    return this.#run(undefined, deadlineMs, `calling ${EXPORT_DESCRIBE}`, () => entry());
  }

  /** Runs `call` (which resolves to a pointer to `[resp_ptr, resp_len]`) and decodes the document there. */
  async #run(
    host: HostCall | undefined,
    deadlineMs: number,
    what: string,
    call: () => Promise<number>,
  ): Promise<Record<string, unknown>> {
    if (this.#broken || this.#disposed) throw new TypeError("Cannot call a broken or disposed instance");
    const session = this.#session;
    session.begin(host, deadlineMs, FUEL_SLICE);
    try {
      const at = (await call()) >>> 0;
      return session.readResult(at, { utf8Body: what === HANDLING });
    } catch (error) {
      this.#broken = true;
      throw toFault(error, session, what);
    } finally {
      session.end();
    }
  }

  #guarded<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.#broken = true;
      throw error;
    }
  }

  /** Frees the instance; safe to call twice. */
  dispose(): void {
    this.#disposed = true;
  }
}

function plainBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Binary) return value.buffer;
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

function isHeader(value: unknown): value is [string, string] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "string" &&
    typeof value[1] === "string";
}

const UTF8 = new TextDecoder();

/**
 * A string body kept as its UTF-8 bytes, which the HTTP response sends as they are — unless it is
 * empty or there is no content-type (a string body then gets a text/plain default): a string.
 */
function utf8Body(bytes: Uint8Array, headers: [string, string][]): Uint8Array | string {
  if (bytes.length > 0 && headers.some(([name]) => name.toLowerCase() === "content-type")) return bytes;
  return UTF8.decode(bytes);
}

/** The response document as a GuestResponse. @throws GuestFault `throw` when it is malformed */
function toResponse(doc: Record<string, unknown>): GuestResponse {
  const { status, headers = [], body = null } = doc;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new GuestFault(
      "throw",
      `The guest's response has no integer status in 100..599 (got ${String(status)})`,
    );
  }
  if (!Array.isArray(headers) || !headers.every(isHeader)) {
    throw new GuestFault("throw", "The guest's response headers are not a list of [name, value] strings");
  }
  if (body instanceof Utf8Body) return { status, headers, body: utf8Body(body.bytes, headers) };
  const bytes = plainBytes(body);
  if (body !== null && bytes === undefined && typeof body !== "string") {
    throw new GuestFault(
      "throw",
      `The guest's response body is a ${typeof body}, not a string, binary or null`,
    );
  }
  return { status, headers, body: bytes ?? (body as string | null) };
}

/** Any error out of the guest as a GuestFault of the right kind. */
function toFault(error: unknown, session: NativeSession, what: string): GuestFault {
  if (error instanceof GuestFault) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isSuspendError(error)) {
    // The fuel refill is reachable only inside a promising entry: the start function (run by
    // instantiate) or planck_alloc reached it, i.e. ran through a whole fuel slice.
    if (session.fuel === undefined) {
      return new GuestFault("timeout", "The module's start function ran out of fuel", { cause: error });
    }
    return new GuestFault("trap", `The guest ran through a fuel slice outside planck_handle while ${what}`, {
      cause: error,
    });
  }
  if (error instanceof RangeError && /call stack/i.test(message)) {
    return new GuestFault("trap", `The guest overflowed its stack while ${what}`, { cause: error });
  }
  const full = session.memory.buffer.byteLength >= MEMORY_FULL_FRACTION * session.memoryBytesMax;
  if (error instanceof RangeError || (error instanceof WebAssembly.RuntimeError && full)) {
    const cap = `${session.memory.buffer.byteLength} of ${session.memoryBytesMax} bytes in use`;
    return new GuestFault("memory", `The guest ran out of memory while ${what} (${cap}): ${message}`, {
      cause: error,
    });
  }
  return new GuestFault("trap", `The guest trapped while ${what}: ${message}`, { cause: error });
}
