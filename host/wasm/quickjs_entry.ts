/**
 * Suspendable entries into one instance of the pinned QuickJS engine (guest_slice.ts explains
 * why): the engine is instantiated with its interrupt import wrapped in `WebAssembly.Suspending`,
 * and guest code runs only through `WebAssembly.promising` versions of QTS_Eval, QTS_Call and
 * QTS_ExecutePendingJob, written here against quickjs-emscripten's internals (the same ones
 * quickjs_strings.ts uses, of the version runtime.ts pins; `bindEngine` checks they are there).
 *
 * Invariants: the imports are found by what they call (`callbacks.shouldInterrupt`), not by their
 * minified names, and instantiation fails loudly if they are missing; every buffer malloc'ed here
 * is freed before the entry returns; views of memory are taken after the guest ran (it may grow).
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { type GuestEntry, type GuestSlice, promising, suspending } from "../guest/guest_slice.ts";

/** What an entry returns: a value handle, or the guest's exception (the caller disposes either). */
export type EntryResult = { value: QuickJSHandle; error?: undefined } | { error: QuickJSHandle };

type Exported = (...args: number[]) => number;

/** The emscripten module object of one engine instance (the parts used here). */
interface EmscriptenModule {
  _malloc(size: number): number;
  _free(ptr: number): void;
  _QTS_Eval: Exported;
  _QTS_Call: Exported;
  _QTS_ExecutePendingJob: Exported;
  _QTS_ResolveException: Exported;
  _QTS_FreeValuePointer: Exported;
  _QTS_FreeValuePointerRuntime: Exported;
}

interface ContextInternals {
  ctx: { value: number };
  rt: { value: number };
  memory: { module: EmscriptenModule; heapValueHandle(ptr: number): QuickJSHandle };
}

const UTF8_ENCODER = new TextEncoder();

/** What finds the interrupt import among the engine's imports. */
const INTERRUPT_IMPORT_MARK = "callbacks.shouldInterrupt";

/**
 * The `instantiateWasm` hook for one engine instance: instantiates `module` with the interrupt
 * import made Suspending and polled against `slice`. emscripten only waits for `onSuccess`, so a
 * failure rejects `failed` instead (race it with the module's promise).
 */
export function suspendableInstantiate(module: WebAssembly.Module, slice: GuestSlice): {
  instantiateWasm: (
    imports: Record<string, Record<string, unknown>>,
    onSuccess: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ) => Record<string, never>;
  failed: Promise<never>;
} {
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => fail = reject);
  failed.catch(() => {}); // observed by the caller's race; never an unhandled rejection
  const instantiateWasm = (
    imports: Record<string, Record<string, unknown>>,
    onSuccess: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): Record<string, never> => {
    let wrapped = 0;
    for (const table of Object.values(imports)) {
      for (const [name, value] of Object.entries(table)) {
        if (typeof value !== "function" || !String(value).includes(INTERRUPT_IMPORT_MARK)) continue;
        const interrupt = value as (rt: number) => number;
        table[name] = suspending((rt: number) => interrupt(rt) ? 1 : slice.poll(0));
        wrapped++;
      }
    }
    if (wrapped !== 1) {
      fail(new Error(`The QuickJS engine has ${wrapped} interrupt imports, not 1: not the pinned build`));
    } else {
      WebAssembly.instantiate(module, imports as WebAssembly.Imports).then(
        (instance) => onSuccess(instance, module),
        fail,
      );
    }
    return {}; // emscripten waits for onSuccess
  };
  return { instantiateWasm, failed };
}

/** The promising entries of one context's engine instance. */
export class QuickJsEntries {
  readonly #context: ContextInternals;
  readonly #module: EmscriptenModule;
  readonly #memory: WebAssembly.Memory;
  readonly #slice: GuestSlice;
  readonly #eval: GuestEntry;
  readonly #call: GuestEntry;
  readonly #jobs: GuestEntry;

  constructor(context: QuickJSContext, memory: WebAssembly.Memory, slice: GuestSlice) {
    this.#context = context as unknown as ContextInternals;
    this.#module = this.#context.memory.module;
    for (const name of ["_QTS_Eval", "_QTS_Call", "_QTS_ExecutePendingJob"] as const) {
      if (typeof this.#module[name] !== "function") {
        throw new Error(`The QuickJS engine exports no ${name}: not the pinned build`);
      }
    }
    this.#memory = memory;
    this.#slice = slice;
    this.#eval = promising(this.#module._QTS_Eval);
    this.#call = promising(this.#module._QTS_Call);
    this.#jobs = promising(this.#module._QTS_ExecutePendingJob);
  }

  /** Evaluates `code` as a global script named `filename`. */
  async eval(code: string, filename: string): Promise<EntryResult> {
    const [codePtr, length] = this.#cString(code);
    const [namePtr] = this.#cString(filename);
    try {
      this.#slice.restart();
      return this.#result(await this.#eval(this.#ctx, codePtr, length, namePtr, 0, 0));
    } finally {
      this.#module._free(codePtr);
      this.#module._free(namePtr);
    }
  }

  /** Calls `fn` with `this` undefined and `args` (borrowed: the caller still owns them). */
  async call(fn: QuickJSHandle, thisValue: QuickJSHandle, args: QuickJSHandle[]): Promise<EntryResult> {
    const argv = this.#module._malloc(Math.max(4, 4 * args.length));
    if (argv === 0) throw new RangeError("The guest is out of memory for call arguments");
    try {
      const slots = new Int32Array(this.#memory.buffer, argv, args.length);
      args.forEach((handle, i) => slots[i] = handle.value as unknown as number);
      this.#slice.restart();
      const value = await this.#call(
        this.#ctx,
        fn.value as unknown as number,
        thisValue.value as unknown as number,
        args.length,
        argv,
      );
      return this.#result(value);
    } finally {
      this.#module._free(argv);
    }
  }

  /** Runs every pending job; resolves with how many ran, or the exception of the one that threw. */
  async executePendingJobs(runtime: QuickJSRuntime): Promise<{ value: number } | { error: QuickJSHandle }> {
    const rt = (runtime as unknown as { rt: { value: number } }).rt.value;
    const out = this.#module._malloc(4);
    if (out === 0) throw new RangeError("The guest is out of memory for a job");
    try {
      new Int32Array(this.#memory.buffer, out, 1)[0] = 0;
      this.#slice.restart();
      const valuePtr = await this.#jobs(rt, -1, out);
      const ctxPtr = new Int32Array(this.#memory.buffer, out, 1)[0];
      if (ctxPtr === 0) {
        this.#module._QTS_FreeValuePointerRuntime(rt, valuePtr);
        return { value: 0 };
      }
      const result = this.#context.memory.heapValueHandle(valuePtr);
      const context = runtimeContext(runtime, ctxPtr);
      if (context.typeof(result) === "number") {
        const ran = context.getNumber(result);
        result.dispose();
        return { value: ran };
      }
      return { error: result };
    } finally {
      this.#module._free(out);
    }
  }

  get #ctx(): number {
    return this.#context.ctx.value;
  }

  #result(valuePtr: number): EntryResult {
    const errorPtr = this.#module._QTS_ResolveException(this.#ctx, valuePtr);
    if (errorPtr !== 0) {
      this.#module._QTS_FreeValuePointer(this.#ctx, valuePtr);
      return { error: this.#context.memory.heapValueHandle(errorPtr) };
    }
    return { value: this.#context.memory.heapValueHandle(valuePtr) };
  }

  #bytes(): Uint8Array {
    return new Uint8Array(this.#memory.buffer);
  }

  /** A NUL-terminated UTF-8 copy of `text` in guest memory and its length (the caller frees it). */
  #cString(text: string): [number, number] {
    const bytes = UTF8_ENCODER.encode(text);
    const ptr = this.#module._malloc(bytes.length + 1);
    if (ptr === 0) throw new RangeError("The guest is out of memory for a string");
    const view = this.#bytes();
    view.set(bytes, ptr);
    view[ptr + bytes.length] = 0;
    return [ptr, bytes.length];
  }
}

/** The context a job ran in (this tier has one per runtime). */
function runtimeContext(runtime: QuickJSRuntime, ctxPtr: number): QuickJSContext {
  const context = (runtime as unknown as { contextMap: Map<number, QuickJSContext> }).contextMap.get(ctxPtr);
  if (context === undefined) {
    throw new Error(`A job ran in context ${ctxPtr}, which this runtime does not own`);
  }
  return context;
}
