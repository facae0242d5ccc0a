/**
 * The guest runtime: the host's pinned QuickJS engine (compiled once per process) and one service
 * instance = one engine instance with its own capped `WebAssembly.Memory`, a QuickJS runtime and
 * context, the injected `__planck_host` function and the evaluated bundle.
 *
 * A call runs `__planck_handle(request)`, then pending jobs until its promise settles (host calls
 * are synchronous, so async handlers need no asyncify). Guest code runs only through the promising
 * entries of quickjs_entry.ts, so a long-running guest yields the event loop every GUEST_SLICE_MS
 * (guest_slice.ts) while other requests run on other instances. Time is bounded in-guest by
 * QuickJS's interrupt handler (the deadline); memory by the capped Memory.
 *
 * Invariants: after a GuestFault the instance is unusable (`broken`) and must be disposed; the
 * engine bytes run are always the host's own, never an upload's.
 */
import { bytesToHex } from "../../protocol/hex.ts";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
  shouldInterruptAfterDeadline,
} from "quickjs-emscripten-core";
import RELEASE_SYNC from "@jitl/quickjs-wasmfile-release-sync";
import { decodeFromGuest, encodeForGuest, REPLY_MARK } from "../../framework/guest_json.ts";
import {
  type EnginePin,
  type GuestRequest,
  type GuestResponse,
  RESPONSE_BYTES_MAX,
} from "../../protocol/abi.ts";
import { GuestFault, type GuestInstance, type HostCall, RAW_JSON_REPLY } from "../guest/guest.ts";
import { GuestSlice, isSuspendError } from "../guest/guest_slice.ts";
import { type EntryResult, QuickJsEntries, suspendableInstantiate } from "./quickjs_entry.ts";
import { installStringFunction, QuickJsStrings } from "./quickjs_strings.ts";
import { BUNDLE_FILE, mapGuestStack } from "./source_map.ts";

export { type FaultKind, GuestFault } from "../guest/guest.ts";

/** The guest function that handles a request. */
export const HANDLE_FUNCTION = "__planck_handle";

/** The engine package the host pins (its version is part of the pin). */
export const ENGINE_PACKAGE = "@jitl/quickjs-wasmfile-release-sync";
/** The pinned engine version. */
export const ENGINE_VERSION = "0.32.0";
const ENGINE_SPECIFIER = `npm:${ENGINE_PACKAGE}@${ENGINE_VERSION}/wasm`;

/** Wasm page size. */
const PAGE_BYTES = 64 * 1024;
/** Initial linear memory of an instance (the engine's declared minimum is 16 MiB). */
const MEMORY_INITIAL_BYTES = 16 * 1024 * 1024;

/** Deadline for evaluating a service's bundle when an instance is created, in milliseconds. */
const BUNDLE_DEADLINE_MS = 5_000;

/** Limits of one instance. */
export interface InstanceLimits {
  /** Linear memory cap in bytes (a multiple of 64 KiB, at least 16 MiB). */
  memoryBytes: number;
}

interface Engine {
  module: WebAssembly.Module;
  pin: EnginePin;
}

let engine: Promise<Engine> | undefined;

/** Lower-case hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return bytesToHex(new Uint8Array(digest));
}

/** The engine's wasm bytes as shipped in the pinned npm package (carried by `deno compile`). */
export async function engineBytes(): Promise<Uint8Array> {
  return await Deno.readFile(new URL(import.meta.resolve(ENGINE_SPECIFIER)));
}

/** The host's engine: compiled once per process, with its pin. */
export function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const bytes = await engineBytes();
    const pin = { package: ENGINE_PACKAGE, version: ENGINE_VERSION, sha256: await sha256Hex(bytes) };
    return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), pin };
  })();
  return engine;
}

/** The host's engine pin (what `planck build` embeds and deploy checks). */
export async function enginePin(): Promise<EnginePin> {
  return (await loadEngine()).pin;
}

/** One instance of a service's bundle. Not reentrant: one call at a time. */
export class ServiceInstance implements GuestInstance {
  readonly #module: QuickJSWASMModule;
  readonly #runtime: QuickJSRuntime;
  readonly #context: QuickJSContext;
  readonly #strings: QuickJsStrings;
  readonly #entries: QuickJsEntries;
  readonly #slice: GuestSlice;
  #host: ((json: string) => string | Uint8Array) | undefined;
  /** The body of the running call, for `__planck_body` (its bytes on demand). */
  #body: Uint8Array | undefined;
  /** True when the bundle takes a UTF-8 body as text alone (`__planck_lazy_body`, framework/serve.ts). */
  #lazyBody = false;
  #broken = false;
  #disposed = false;
  /** The evaluated bundle, whose inline source map maps fault stacks (source_map.ts). */
  #bundle = "";

  private constructor(
    module: QuickJSWASMModule,
    runtime: QuickJSRuntime,
    context: QuickJSContext,
    memory: WebAssembly.Memory,
    slice: GuestSlice,
  ) {
    this.#module = module;
    this.#runtime = runtime;
    this.#context = context;
    this.#strings = new QuickJsStrings(context, memory);
    this.#entries = new QuickJsEntries(context, memory, slice);
    this.#slice = slice;
  }

  /** Instantiates the engine with a capped memory and evaluates `bundle`. @throws GuestFault */
  static async create(bundle: string, limits: InstanceLimits): Promise<ServiceInstance> {
    const { module } = await loadEngine();
    const maximum = Math.max(MEMORY_INITIAL_BYTES, limits.memoryBytes) / PAGE_BYTES;
    const wasmMemory = new WebAssembly.Memory({ initial: MEMORY_INITIAL_BYTES / PAGE_BYTES, maximum });
    const slice = new GuestSlice();
    const { instantiateWasm, failed } = suspendableInstantiate(module, slice);
    const quickjs = await Promise.race([
      newQuickJSWASMModuleFromVariant(
        newVariant(RELEASE_SYNC as unknown as QuickJSSyncVariant, {
          wasmMemory,
          emscriptenModule: { instantiateWasm } as never,
        }),
      ),
      failed,
    ]);
    const runtime = quickjs.newRuntime();
    const context = runtime.newContext();
    const instance = new ServiceInstance(quickjs, runtime, context, wasmMemory, slice);
    instance.#bundle = bundle;
    instance.#install();
    await instance.#guard(
      async () =>
        await instance.#settle(await instance.#entries.eval(bundle, BUNDLE_FILE), "evaluating the bundle"),
      Date.now() + BUNDLE_DEADLINE_MS,
    );
    instance.#lazyBody = context.getProp(context.global, "__planck_lazy_body").consume((h) =>
      context.dump(h) === true
    );
    return instance;
  }

  #install(): void {
    const context = this.#context;
    const answer = (json: string): string | Uint8Array =>
      this.#host === undefined
        ? '{"ok":false,"error":{"code":"internal","message":"no request"}}'
        : this.#host(json);
    const call = (arg: QuickJSHandle) => this.#strings.newString(answer(this.#strings.getString(arg)));
    const fn = context.newFunction("__planck_host", call);
    installStringFunction(context, this.#strings, call, answer);
    context.setProp(context.global, "__planck_host", fn);
    fn.dispose();
    // The running call's body bytes, copied into the guest only when a handler asks for them.
    const body = context.newFunction("__planck_body", () => {
      const bytes = this.#body;
      return bytes === undefined ? context.undefined : context.newArrayBuffer(wholeBuffer(bytes));
    });
    context.setProp(context.global, "__planck_body", body);
    body.dispose();
  }

  /** True once a fault made this instance unusable. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Times this instance's guest yielded the event loop mid-run (guest_slice.ts). */
  get yields(): number {
    return this.#slice.yields;
  }

  /**
   * Calls global `fnName(arg)` and returns its string result (awaited if it is a promise).
   * `host` answers the guest's `__planck_host` calls during this call only, with a string or its
   * UTF-8 bytes (copied into the guest as they are).
   * @throws GuestFault (the instance is then broken)
   */
  async call(
    fnName: string,
    arg: string,
    options: {
      host?: (json: string) => string | Uint8Array;
      deadlineMs: number;
      bytes?: Uint8Array | null;
    },
  ): Promise<string> {
    if (this.#broken || this.#disposed) throw new TypeError("Cannot call a broken or disposed instance");
    this.#host = options.host;
    try {
      const context = this.#context;
      return await this.#guard(async () => {
        const fn = context.getProp(context.global, fnName);
        const args = [this.#strings.newString(arg)];
        // A body crosses once: as its text when it is UTF-8 (decoding in the interpreter costs
        // ~0.4 µs a byte) — its bytes then only if the handler asks (`__planck_body`) — else as an
        // ArrayBuffer copied into guest memory (no base64 in JSON). A bundle that does not declare
        // `__planck_lazy_body` gets both, as before.
        if (options.bytes != null) {
          const text = utf8Text(options.bytes);
          if (text === undefined || !this.#lazyBody) {
            args.push(context.newArrayBuffer(wholeBuffer(options.bytes)));
          } else args.push(context.undefined.dup());
          if (text !== undefined) args.push(this.#strings.newString(text));
          this.#body = options.bytes;
        }
        try {
          if (context.typeof(fn) !== "function") {
            throw new GuestFault("throw", `The bundle defines no function "${fnName}"`);
          }
          const result = await this.#entries.call(fn, context.undefined, args);
          return await this.#settle(result, `calling ${fnName}`);
        } finally {
          for (const handle of args) handle.dispose();
          fn.dispose();
        }
      }, options.deadlineMs);
    } finally {
      this.#host = undefined;
      this.#body = undefined;
    }
  }

  /** Runs one request through `__planck_handle` (tagged JSON both ways). @throws GuestFault */
  async handle(request: GuestRequest, host: HostCall, deadlineMs: number): Promise<GuestResponse> {
    const out = await this.call(HANDLE_FUNCTION, encodeForGuest({ ...request, body: null }), {
      host: (json) => {
        const reply = host(decodeFromGuest(json) as Record<string, unknown>, "json");
        return (reply as { [RAW_JSON_REPLY]?: Uint8Array })[RAW_JSON_REPLY] ?? encodeForGuest(reply);
      },
      deadlineMs,
      bytes: request.body,
    });
    return parseResponse(out);
  }

  /** Runs `fn` with the interrupt deadline armed; host-level exceptions become trap faults. */
  async #guard<T>(fn: () => Promise<T>, deadlineMs: number): Promise<T> {
    this.#runtime.setInterruptHandler(shouldInterruptAfterDeadline(deadlineMs));
    try {
      return await fn();
    } catch (error) {
      this.#broken = true;
      if (error instanceof GuestFault) throw error;
      if (isSuspendError(error)) {
        // Guest code reached from a synchronous host call (a getter, say): never allowed to run.
        throw new GuestFault("trap", "The guest ran code outside a request entry (a getter or conversion)", {
          cause: error,
        });
      }
      throw new GuestFault("trap", `The guest trapped: ${(error as Error).message}`, { cause: error });
    } finally {
      if (!this.#disposed) this.#runtime.removeInterruptHandler();
    }
  }

  /** Unwraps a call result, running pending jobs until a returned promise settles. */
  async #settle(result: EntryResult, what: string): Promise<string> {
    const context = this.#context;
    if (result.error) throw this.#fault(result.error, what);
    let handle: QuickJSHandle = result.value;
    if (context.typeof(handle) === "object" && isPromise(context, handle)) {
      for (;;) {
        const state = context.getPromiseState(handle);
        if (state.type === "fulfilled") {
          handle.dispose();
          handle = state.value;
          break;
        }
        if (state.type === "rejected") {
          handle.dispose();
          throw this.#fault(state.error, what);
        }
        const jobs = await this.#entries.executePendingJobs(this.#runtime);
        if ("error" in jobs) {
          handle.dispose();
          throw this.#fault(jobs.error, what);
        }
        if (jobs.value === 0 && context.getPromiseState(handle).type === "pending") {
          handle.dispose();
          throw new GuestFault(
            "throw",
            `The promise returned by ${what} never settled (it awaits something the host never resolves)`,
          );
        }
      }
    }
    try {
      return context.typeof(handle) === "string" ? this.#replyText(handle, what) : "";
    } finally {
      handle.dispose();
    }
  }

  /**
   * The text of the guest's string reply, refused past RESPONSE_BYTES_MAX: its length in UTF-16
   * units is checked before the engine makes a UTF-8 copy (each unit is at least one byte), the
   * copy's length after. @throws GuestFault `response` (too large), `memory` (no room for the copy)
   */
  #replyText(handle: QuickJSHandle, what: string): string {
    const tooLarge = (size: string) =>
      new GuestFault(
        "response",
        `The guest's reply while ${what} is ${size}, over the limit RESPONSE_BYTES_MAX (${RESPONSE_BYTES_MAX} bytes)`,
      );
    const lengthHandle = this.#context.getProp(handle, "length");
    const length = this.#context.getNumber(lengthHandle);
    lengthHandle.dispose();
    if (length > RESPONSE_BYTES_MAX) throw tooLarge(`${length} characters`);
    const got = this.#strings.getStringWithin(handle, RESPONSE_BYTES_MAX);
    if ("bytes" in got) throw tooLarge(`${got.bytes} bytes`);
    if ("outOfMemory" in got) {
      throw new GuestFault(
        "memory",
        `The guest ran out of memory handing over its reply (${length} characters) while ${what}`,
      );
    }
    return got.text;
  }

  #fault(error: QuickJSHandle, what: string): GuestFault {
    const dumped = this.#context.dump(error) as { name?: string; message?: string; stack?: string } | string;
    error.dispose();
    this.#broken = true;
    const name = typeof dumped === "object" && dumped !== null ? dumped.name ?? "Error" : "Error";
    const message = typeof dumped === "object" && dumped !== null ? dumped.message ?? "" : String(dumped);
    const stack = typeof dumped === "object" && dumped?.stack
      ? `\n${mapGuestStack(this.#bundle, dumped.stack)}`
      : "";
    if (name === "InternalError" && message === "interrupted") {
      return new GuestFault("timeout", `The guest ran past its deadline while ${what}`);
    }
    if (name === "InternalError" && message === "out of memory") {
      return new GuestFault("memory", `The guest ran out of memory while ${what}`);
    }
    return new GuestFault("throw", `The guest threw while ${what}: ${name}: ${message}${stack}`);
  }

  /** Linear memory in use (bytes). */
  get memoryBytes(): number {
    return (this.#module.getWasmMemory() as WebAssembly.Memory).buffer.byteLength;
  }

  /** Frees the instance; safe to call twice. A broken instance is simply dropped. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#broken) return; // its heap may be inconsistent: let the GC take the whole memory
    try {
      this.#context.dispose();
      this.#runtime.dispose();
    } catch {
      // A leaked handle only costs memory that goes away with the instance.
    }
  }
}

/** Bodies up to this size also cross as text when they are UTF-8. */
const BODY_TEXT_BYTES_MAX = 1024 * 1024;
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The text of a body that is valid UTF-8 without U+0000 (a string crosses as a C string), else
 * undefined; decoded as the guest's decodeUtf8 would (a BOM is kept).
 */
function utf8Text(bytes: Uint8Array): string | undefined {
  if (bytes.length > BODY_TEXT_BYTES_MAX || bytes.includes(0)) return undefined;
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The buffer of `bytes` when they span all of it (a request body read in one chunk does), else a
 * copy: newArrayBuffer copies into guest memory anyway, so the body is copied once, not twice.
 */
function wholeBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) {
    return buffer;
  }
  return bytes.slice().buffer;
}

function isPromise(context: QuickJSContext, handle: QuickJSHandle): boolean {
  const state = context.getPromiseState(handle);
  return !(state.type === "fulfilled" && state.notAPromise === true);
}

/**
 * Checks the guest's reply: tagged JSON of the whole reply, or REPLY_MARK + the JSON of status and
 * headers + "\n" + a string body. @throws GuestFault `throw`
 */
function parseResponse(text: string): GuestResponse {
  let raw: Partial<GuestResponse> | null;
  const split = text.startsWith(REPLY_MARK) ? text.indexOf("\n") : -1;
  try {
    raw = decodeFromGuest(split < 0 ? text : text.slice(REPLY_MARK.length, split)) as
      | Partial<GuestResponse>
      | null;
  } catch {
    raw = null;
  }
  if (split >= 0 && raw !== null && typeof raw === "object") raw.body = text.slice(split + 1);
  if (raw === null || typeof raw !== "object" || typeof raw.status !== "number") {
    throw new GuestFault("throw", "The guest returned no response document");
  }
  return {
    status: raw.status,
    headers: Array.isArray(raw.headers) ? raw.headers : [],
    body: raw.body ?? null,
  };
}
