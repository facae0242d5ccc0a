/**
 * Strings into and out of one QuickJS context through its linear memory with the platform's
 * UTF-8 codec, instead of quickjs-emscripten's `newString` / `getString`, whose UTF-8 loops run in
 * JavaScript (measured: 27 → 14 µs to hand a 4.7 KB reply to the guest). The functions and memory
 * used are those of the pinned engine build (host/wasm/runtime.ts pins it), reached through the
 * context's own FFI.
 *
 * Invariants: every buffer malloc'ed here is freed before returning; a C string from the engine is
 * freed with QTS_FreeCString after it is read; views of memory are re-created after it grows. As
 * with `newString`, a string is handed over as a C string, so it ends at its first U+0000.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";

/** The parts of quickjs-emscripten's context memory used here (see the file header). */
interface ContextMemory {
  module: { _malloc(size: number): number; _free(ptr: number): void };
  ffi: {
    QTS_NewString(ctx: number, ptr: number): number;
    QTS_GetString(ctx: number, value: number): number;
    QTS_FreeCString(ctx: number, ptr: number): void;
    QTS_ArgvGetJSValueConstPointer(argv: number, index: number): number;
    QTS_Throw(ctx: number, error: number): number;
  };
  ctx: { value: number };
  heapValueHandle(ptr: number): QuickJSHandle;
}

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder();

/** Fast string transfer for one context whose engine instance uses `memory`. */
export class QuickJsStrings {
  readonly #memory: WebAssembly.Memory;
  readonly #context: ContextMemory;
  #view = new Uint8Array(0);

  constructor(context: QuickJSContext, memory: WebAssembly.Memory) {
    this.#memory = memory;
    this.#context = (context as unknown as { memory: ContextMemory }).memory;
  }

  #bytes(): Uint8Array {
    if (this.#view.buffer !== this.#memory.buffer) {
      this.#view = new Uint8Array(this.#memory.buffer as ArrayBuffer);
    }
    return this.#view;
  }

  /** A new guest string handle holding `text` or the string whose UTF-8 bytes `text` is (the caller disposes it). */
  newString(text: string | Uint8Array): QuickJSHandle {
    return this.#context.heapValueHandle(this.newStringValue(text));
  }

  /**
   * @internal A new guest string value (a JSValue pointer the caller owns) holding `text`, or the
   * string whose UTF-8 bytes `text` is (copied as they are: one copy, no transcoding; they must be
   * valid UTF-8, and end the string at a NUL like any C string).
   */
  newStringValue(text: string | Uint8Array): number {
    const { module, ffi, ctx } = this.#context;
    const capacity = typeof text === "string" ? 3 * text.length + 1 : text.length + 1;
    const ptr = module._malloc(capacity);
    if (ptr === 0) throw new RangeError("The guest is out of memory for a string");
    try {
      const bytes = this.#bytes(); // after malloc, which may have grown memory
      let written = text.length;
      if (typeof text === "string") {
        written = UTF8_ENCODER.encodeInto(text, bytes.subarray(ptr, ptr + capacity - 1)).written;
      } else bytes.set(text, ptr);
      bytes[ptr + written] = 0;
      return ffi.QTS_NewString(ctx.value, ptr);
    } finally {
      module._free(ptr);
    }
  }

  /** The string value of `handle` (as `context.getString`: converted with the engine's ToString). */
  getString(handle: QuickJSHandle): string {
    return this.stringAt(handle.value as unknown as number);
  }

  /**
   * The string value of `handle` if its UTF-8 form is at most `maxBytes` long; else how long it
   * is, or `outOfMemory` when the engine could not allocate that form.
   */
  getStringWithin(
    handle: QuickJSHandle,
    maxBytes: number,
  ): { text: string } | { bytes: number } | { outOfMemory: true } {
    const { ffi, ctx } = this.#context;
    const ptr = ffi.QTS_GetString(ctx.value, handle.value as unknown as number);
    if (ptr === 0) return { outOfMemory: true };
    try {
      const bytes = this.#bytes();
      let end = bytes.indexOf(0, ptr);
      if (end < 0) end = bytes.length;
      if (end - ptr > maxBytes) return { bytes: end - ptr };
      return { text: UTF8_DECODER.decode(bytes.subarray(ptr, end)) };
    } finally {
      ffi.QTS_FreeCString(ctx.value, ptr);
    }
  }

  /** @internal The string value of the JSValue at `value` (not freed: the caller owns it). */
  stringAt(value: number): string {
    const { ffi, ctx } = this.#context;
    const ptr = ffi.QTS_GetString(ctx.value, value);
    if (ptr === 0) return "";
    try {
      const bytes = this.#bytes();
      const end = bytes.indexOf(0, ptr);
      return UTF8_DECODER.decode(bytes.subarray(ptr, end < 0 ? bytes.length : end));
    } finally {
      ffi.QTS_FreeCString(ctx.value, ptr);
    }
  }
}

/** quickjs-emscripten's C → host call dispatch of one context (see `installStringFunction`). */
type CallFunction = (ctx: number, thisPtr: number, argc: number, argv: number, fnId: number) => number;

/**
 * Makes the guest function `fn` (already created with `context.newFunction`) a string → string
 * call (the reply may also be a string's UTF-8 bytes) with a lean trampoline: quickjs-emscripten's generic one builds a Scope, lifetimes and a
 * generator per call (about 10 µs a host call). `answer` gets the first argument as a string and
 * returns the reply string, once per call (never re-run); what it throws is thrown in the guest,
 * as the generic trampoline does.
 */
export function installStringFunction(
  context: QuickJSContext,
  strings: QuickJsStrings,
  fn: (...args: never[]) => unknown,
  answer: (text: string) => string | Uint8Array,
): void {
  const internals = context as unknown as {
    cToHostCallbacks: { callFunction: CallFunction };
    getFunction(fnId: number): unknown;
    errorToHandle(error: unknown): QuickJSHandle;
    memory: ContextMemory;
  };
  const generic = internals.cToHostCallbacks.callFunction;
  const ffi = internals.memory.ffi;
  internals.cToHostCallbacks.callFunction = (ctx, thisPtr, argc, argv, fnId) => {
    if (internals.getFunction(fnId) !== fn || argc < 1) return generic(ctx, thisPtr, argc, argv, fnId);
    try {
      return strings.newStringValue(answer(strings.stringAt(ffi.QTS_ArgvGetJSValueConstPointer(argv, 0))));
    } catch (error) {
      // As the generic trampoline does: the host's exception becomes the guest's.
      return internals.errorToHandle(error).consume((handle) =>
        ffi.QTS_Throw(ctx, handle.value as unknown as number)
      );
    }
  };
}
