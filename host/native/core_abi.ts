/**
 * The native tier's core ABI, version 1 (docs/wasm-abi.md, "Native tier"): the custom section that
 * marks a native service, the imports a module may use with their exact types, the exports the host
 * calls, the names the fuel injector adds, the negative results of host calls and the limits.
 *
 * Invariants: every import in IMPORTS has exactly one type; the host-only import (out_of_fuel) is
 * never in the allow-list an upload is checked against; a function type is written `(params)->(results)`
 * with value types in wasm text names (i32, i64, f32, f64, v128, …).
 */
import { assert } from "../../engine/assert.ts";

/** The native ABI version a host speaks. */
export const NATIVE_ABI_VERSION = 1;
/** Custom section marking a native service: JSON `{"abi": "planck-core", "version": 1}`. */
export const SECTION_ABI = "planck.abi";
/** The `abi` field of the `planck.abi` section. */
export const ABI_NAME = "planck-core";

/** A function type as text, e.g. `(i32,i32)->(i32)`. */
export type FunctionType = string;

/** What one allowed import is. */
export type ImportSpec = { kind: "memory" } | { kind: "function"; type: FunctionType };

/** The imports a native module may use, keyed `module.name`, with their exact types. */
export const IMPORTS: Readonly<Record<string, ImportSpec>> = {
  "env.memory": { kind: "memory" },
  "env.abort": { kind: "function", type: "(i32,i32,i32,i32)->()" },
  "env.trace": { kind: "function", type: "(i32,i32,f64,f64,f64,f64,f64)->()" },
  "env.seed": { kind: "function", type: "()->(f64)" },
  "planck.request": { kind: "function", type: "(i32,i32,i32,i32)->(i32)" },
  "planck.take": { kind: "function", type: "(i32)->(i32)" },
  "planck.log": { kind: "function", type: "(i32,i32,i32)->()" },
  "planck.now_ms": { kind: "function", type: "()->(f64)" },
  "planck.random": { kind: "function", type: "(i32,i32)->()" },
};

/** The memory import every native module must have. */
export const IMPORT_MEMORY = "env.memory";

/** Module of the host-only fuel import. */
export const FUEL_IMPORT_MODULE = "planck";
/** Name of the host-only fuel import: `() -> ()`, refills or throws. An upload may not import it. */
export const FUEL_IMPORT_NAME = "out_of_fuel";
/** `planck.out_of_fuel`, as validation reports it. */
export const FUEL_IMPORT = `${FUEL_IMPORT_MODULE}.${FUEL_IMPORT_NAME}`;
/** Type of the fuel import. */
export const FUEL_IMPORT_TYPE: FunctionType = "()->()";
/** The mutable i32 global the injector adds, exported under this name. An upload may not export it. */
export const FUEL_GLOBAL_EXPORT = "__planck_fuel";

/**
 * Fuel units per slice: the fuel counter is set to this before each request, and `out_of_fuel`
 * refills it while the deadline has not passed. At least one unit is spent per loop iteration and
 * per function entry (unchecked entries are paid for at the caller's check, host/native/fuel.ts); a tight `loop`/`br_if` runs about 1–1.5 units per ns here (bench/native_fuel.ts), so a
 * slice lasts about 1 ms of busy guest code and a deadline is overshot by about that much.
 */
export const FUEL_SLICE = 1_000_000;

/** Export: `(len i32) -> i32`, a guest buffer the host writes the request into. */
export const EXPORT_ALLOC = "planck_alloc";
/** Export: `(req_ptr i32, req_len i32) -> i32`, a pointer to `[resp_ptr u32 LE, resp_len u32 LE]`. */
export const EXPORT_HANDLE = "planck_handle";
/** Optional export: `() -> i32`, same return shape, BSON `{routes, indexes?}`; used by `planck build`. */
export const EXPORT_DESCRIBE = "planck_describe";

/** The exports the host calls, with their exact types; `required` ones must be present. */
export const EXPORTS: Readonly<Record<string, { type: FunctionType; required: boolean }>> = {
  [EXPORT_ALLOC]: { type: "(i32)->(i32)", required: true },
  [EXPORT_HANDLE]: { type: "(i32,i32)->(i32)", required: true },
  [EXPORT_DESCRIBE]: { type: "()->(i32)", required: false },
};

/** `planck.request`/`planck.take` result: the request bytes are out of bounds or not a BSON document. */
export const ERROR_BAD_REQUEST = -1;
/** `planck.take` result: no reply is held. */
export const ERROR_NO_REPLY = -2;

/** Largest `planck.random` fill, in bytes. */
export const RANDOM_BYTES_MAX = 4096;
/** Log lines a guest may write per request (`planck.log` and `env.trace`); later ones are dropped. */
export const LOG_LINES_MAX = 100;
/** Longest log line forwarded, in bytes of UTF-8 (longer lines are cut). */
export const LOG_LINE_BYTES_MAX = 8 * 1024;
/** Longest AssemblyScript string decoded for an abort or trace message, in bytes. */
export const GUEST_STRING_BYTES_MAX = 4 * 1024;
/** `planck.log` levels, by number. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** Wasm page size in bytes. */
export const PAGE_BYTES = 64 * 1024;
/** Largest number of 32-bit wasm pages (4 GiB). */
export const PAGES_MAX = 65_536;
/**
 * Initial value of the fuel counter: all a module's start function may spend while it is being
 * instantiated (about a second of busy code). A start function that runs out is a `timeout`.
 */
export const START_FUEL = 1_000 * FUEL_SLICE;

assert(FUEL_SLICE > 0, "FUEL_SLICE is positive");
assert(START_FUEL < 2 ** 31, "START_FUEL fits a positive i32");
assert(!(FUEL_IMPORT in IMPORTS), "the fuel import is host-only");
