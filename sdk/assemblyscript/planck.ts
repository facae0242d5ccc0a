/**
 * The raw `planck.*` host imports of the native tier (docs/wasm-abi.md, "Imports"). AssemblyScript
 * names an import's module after the file that declares it, so this file must stay `planck.ts`
 * (an `@external("planck", …)` decorator would say the same, but `deno fmt` drops decorators on
 * functions). Services use host.ts, not these.
 *
 * Invariants: names and types here are exactly the ABI's; nothing else is declared.
 */

/** One host call: BSON request at req; the reply's length (≤ dstCap: written at dst, else held for take). */
export declare function request(reqPtr: usize, reqLen: i32, dstPtr: usize, dstCap: i32): i32;

/** Copies the held reply to dst and returns its length; -2 when none is held. */
export declare function take(dstPtr: usize): i32;

/** One UTF-8 log line: level 0 debug, 1 info, 2 warn, 3 error. */
export declare function log(level: i32, ptr: usize, len: i32): void;

/** Wall-clock time in ms since the epoch. */
export declare function now_ms(): f64;

/** Fills len (≤ 4096) bytes at ptr with CSPRNG output. */
export declare function random(ptr: usize, len: i32): void;
