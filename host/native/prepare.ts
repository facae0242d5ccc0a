/**
 * From uploaded bytes to something the host can instantiate: check the module against the core ABI,
 * inject fuel, compile. Deploy runs `prepareNative` on the upload; a restart runs `loadPrepared`
 * on the bytes the registry stored (already injected), which skips the rewrite.
 *
 * Invariants: the module returned always carries the host's fuel counter (`shape.fueled`); its
 * shape describes exactly the returned bytes.
 */
import { assert } from "../../engine/assert.ts";
import { inspectCompiled, inspectNativeModule, type NativeShape } from "./validate.ts";
import { PlanckError } from "../../protocol/errors.ts";

/** A native module ready to instantiate. */
export interface PreparedNative {
  /** The fuel-injected bytes (what the registry stores). */
  bytes: Uint8Array;
  /** `bytes`, compiled. */
  module: WebAssembly.Module;
  /** Its memory limits and exports. */
  shape: NativeShape;
}

async function compile(bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new PlanckError("invalid_argument", `Invalid WebAssembly module: ${(error as Error).message}`, {
      field: "wasm",
    });
  }
}

/**
 * Checks an uploaded native module, injects fuel and compiles the result.
 * @throws PlanckError `invalid_argument` naming the refused import, export or instruction
 */
export async function prepareNative(wasm: Uint8Array): Promise<PreparedNative> {
  inspectNativeModule(wasm);
  // Loaded on first use: binaryen (fuel.ts) is ~90 MB of JavaScript, seconds of every start otherwise.
  const { injectFuel } = await import("./fuel.ts");
  const bytes = injectFuel(wasm);
  const module = await compile(bytes);
  const shape = inspectCompiled(module, bytes, { fueled: true });
  assert(shape.fueled, "injected bytes carry the fuel counter");
  return { bytes, module, shape };
}

/**
 * Loads bytes that `prepareNative` produced earlier (the registry's copy): checks and compiles them
 * without rewriting; bytes without the fuel counter are prepared from scratch.
 * @throws PlanckError `invalid_argument`
 */
export async function loadPrepared(bytes: Uint8Array): Promise<PreparedNative> {
  const module = await compile(bytes);
  const shape = inspectCompiled(module, bytes, { fueled: true });
  if (!shape.fueled) return await prepareNative(bytes);
  return { bytes, module, shape };
}
