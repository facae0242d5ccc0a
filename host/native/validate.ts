/**
 * Deploy-time checks of a native module against the core ABI (docs/wasm-abi.md, "Native tier"):
 * it compiles; every import is in the allow-list with the right kind and exact function type;
 * `env.memory` is imported (32-bit, not shared) and no memory is defined; the host-only fuel import
 * and fuel export are absent from an upload; `planck_alloc` and `planck_handle` are exported as
 * functions of the right types. Import/export names and kinds come from `WebAssembly.Module`;
 * function types and the memory limits come from reading the type, import, function, memory and
 * export sections (WebAssembly.Module.imports gives neither).
 *
 * Invariants: a module that passes links against the host's imports object; every refusal is a
 * PlanckError `invalid_argument` with field "wasm", "imports" or "exports" naming the culprit.
 */
import { PlanckError } from "../../protocol/errors.ts";
import {
  EXPORT_DESCRIBE,
  EXPORTS,
  FUEL_GLOBAL_EXPORT,
  FUEL_IMPORT,
  FUEL_IMPORT_TYPE,
  type FunctionType,
  IMPORT_MEMORY,
  IMPORTS,
} from "./core_abi.ts";

/** What the host needs to know about a checked native module. */
export interface NativeShape {
  /** The `env.memory` import's declared minimum, in 64 KiB pages. */
  memoryPagesMin: number;
  /** Its declared maximum in pages, or undefined when it declares none. */
  memoryPagesMax: number | undefined;
  /** The imports the module uses, as `module.name`. */
  imports: string[];
  /** True when it exports `planck_describe`. */
  describes: boolean;
  /** True when it carries the host's fuel counter (the `__planck_fuel` export and the fuel import). */
  fueled: boolean;
}

/** Options of inspectNativeModule. */
export interface InspectOptions {
  /** Accept the fuel import and export (bytes the host rewrote itself); an upload never passes this. */
  fueled?: boolean;
}

const VALUE_TYPES: Record<number, string> = {
  0x7f: "i32",
  0x7e: "i64",
  0x7d: "f32",
  0x7c: "f64",
  0x7b: "v128",
  0x70: "funcref",
  0x6f: "externref",
};
const KIND_FUNCTION = 0;
const KIND_MEMORY = 2;

interface Parsed {
  /** Function types by type index (null: not a plain function type). */
  types: (FunctionType | null)[];
  /** Type of each function import, keyed `module.name`, in order. */
  functionImports: { key: string; type: FunctionType | null }[];
  /** Limits of each memory import, keyed `module.name`. */
  memoryImports: Map<string, { flags: number; min: number; max: number | undefined }>;
  /** Type index of each defined function. */
  functionTypeIndexes: number[];
  memoriesDefined: number;
  /** Exported functions: name → function index. */
  exportedFunctions: Map<string, number>;
}

/** Reads LEB128 numbers, names and bytes; runs past the end → PlanckError. */
class Reader {
  at: number;
  readonly #bytes: Uint8Array;
  readonly #end: number;
  constructor(bytes: Uint8Array, at: number, end: number) {
    this.#bytes = bytes;
    this.at = at;
    this.#end = end;
  }
  get done(): boolean {
    return this.at >= this.#end;
  }
  u8(): number {
    if (this.at >= this.#end) invalid("wasm", `Invalid WebAssembly module: truncated at offset ${this.at}`);
    return this.#bytes[this.at++];
  }
  /** An unsigned LEB128 of up to 64 bits (exact below 2^53), or a signed one's bits skipped. */
  leb(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    return invalid("wasm", `Invalid WebAssembly module: LEB128 too long at offset ${this.at}`);
  }
  name(): string {
    const length = this.leb();
    const start = this.at;
    this.at += length;
    if (this.at > this.#end) invalid("wasm", `Invalid WebAssembly module: truncated at offset ${start}`);
    return new TextDecoder().decode(this.#bytes.subarray(start, this.at));
  }
  valueType(): string {
    const code = this.u8();
    if (code === 0x63 || code === 0x64) {
      this.leb(); // heap type (s33): only its length matters here
      return "ref";
    }
    return VALUE_TYPES[code] ?? `type 0x${code.toString(16)}`;
  }
  functionType(): FunctionType {
    const params = Array.from({ length: this.leb() }, () => this.valueType());
    const results = Array.from({ length: this.leb() }, () => this.valueType());
    return `(${params.join(",")})->(${results.join(",")})`;
  }
  limits(): { flags: number; min: number; max: number | undefined } {
    const flags = this.u8();
    const min = this.leb();
    const max = (flags & 1) !== 0 ? this.leb() : undefined;
    if ((flags & 8) !== 0) this.leb(); // custom page size (log2)
    return { flags, min, max };
  }
}

function invalid(field: "wasm" | "imports" | "exports", message: string): never {
  throw new PlanckError("invalid_argument", message, { field });
}

function parseTypes(r: Reader, parsed: Parsed): void {
  for (let n = r.leb(); n > 0; n--) {
    const form = r.u8();
    // Recursion groups, subtypes, structs and arrays (GC) are not part of the core ABI.
    if (form !== 0x60) {
      invalid("wasm", "The module declares GC types; the native ABI uses plain function types");
    }
    parsed.types.push(r.functionType());
  }
}

function parseImports(r: Reader, parsed: Parsed): void {
  for (let n = r.leb(); n > 0; n--) {
    const key = `${r.name()}.${r.name()}`;
    const kind = r.u8();
    if (kind === KIND_FUNCTION) parsed.functionImports.push({ key, type: parsed.types[r.leb()] ?? null });
    else if (kind === KIND_MEMORY) parsed.memoryImports.set(key, r.limits());
    else if (kind === 1) [r.valueType(), r.limits()]; // table: element type, limits
    else if (kind === 3) [r.valueType(), r.u8()]; // global: type, mutability
    else if (kind === 4) [r.u8(), r.leb()]; // tag: attribute, type index
    else invalid("imports", `The module uses an unknown import kind 0x${kind.toString(16)} for "${key}"`);
  }
}

function parseExports(r: Reader, parsed: Parsed): void {
  for (let n = r.leb(); n > 0; n--) {
    const name = r.name();
    const kind = r.u8();
    const index = r.leb();
    if (kind === KIND_FUNCTION) parsed.exportedFunctions.set(name, index);
  }
}

/** The sections of a module V8 has already accepted. */
function parseSections(wasm: Uint8Array): Parsed {
  const parsed: Parsed = {
    types: [],
    functionImports: [],
    memoryImports: new Map(),
    functionTypeIndexes: [],
    memoriesDefined: 0,
    exportedFunctions: new Map(),
  };
  const top = new Reader(wasm, 8, wasm.length);
  while (!top.done) {
    const id = top.u8();
    const size = top.leb();
    const r = new Reader(wasm, top.at, top.at + size);
    top.at += size;
    if (id === 1) parseTypes(r, parsed);
    else if (id === 2) parseImports(r, parsed);
    else if (id === 3) parsed.functionTypeIndexes = Array.from({ length: r.leb() }, () => r.leb());
    else if (id === 5) parsed.memoriesDefined = r.leb();
    else if (id === 7) parseExports(r, parsed);
  }
  return parsed;
}

const ALLOWED = Object.keys(IMPORTS).join(", ");

function checkImports(module: WebAssembly.Module, parsed: Parsed, options: InspectOptions): string[] {
  const functionTypes = new Map(parsed.functionImports.map((i) => [i.key, i.type]));
  const keys: string[] = [];
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    const key = `${from}.${name}`;
    keys.push(key);
    if (key === FUEL_IMPORT) {
      if (options.fueled && kind === "function" && functionTypes.get(key) === FUEL_IMPORT_TYPE) continue;
      invalid(
        "imports",
        `Import "${key}" is reserved for the host (it adds it when the service is deployed)`,
      );
    }
    const spec = IMPORTS[key];
    if (spec === undefined) invalid("imports", `Import "${key}" is not allowed (allowed: ${ALLOWED})`);
    if (spec.kind !== kind) {
      const want = spec.kind === "memory" ? "a memory" : `a function of type ${spec.type}`;
      invalid("imports", `Import "${key}" must be ${want}, not a ${kind}`);
    }
    if (spec.kind === "function" && functionTypes.get(key) !== spec.type) {
      invalid("imports", `Import "${key}" must have type ${spec.type}, not ${functionTypes.get(key)}`);
    }
  }
  return keys;
}

function checkMemory(parsed: Parsed): { min: number; max: number | undefined } {
  if (parsed.memoriesDefined > 0) {
    invalid("imports", "The module defines its own memory; build with --importMemory");
  }
  const memory = parsed.memoryImports.get(IMPORT_MEMORY);
  if (memory === undefined) {
    invalid("imports", `The module does not import "${IMPORT_MEMORY}"; build with --importMemory`);
  }
  if (memory.flags > 1) {
    invalid(
      "imports",
      `Import "${IMPORT_MEMORY}" must be a 32-bit memory that is not shared (flags ${memory.flags})`,
    );
  }
  return memory;
}

function exportType(parsed: Parsed, index: number): FunctionType | null {
  const imported = parsed.functionImports.length;
  if (index < imported) return parsed.functionImports[index].type;
  return parsed.types[parsed.functionTypeIndexes[index - imported]] ?? null;
}

function checkExports(module: WebAssembly.Module, parsed: Parsed, options: InspectOptions): boolean {
  const kinds = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const [name, spec] of Object.entries(EXPORTS)) {
    const kind = kinds.get(name);
    if (kind === undefined) {
      if (!spec.required) continue;
      invalid(
        "exports",
        `Export "${name}" is missing: a native service exports planck_alloc and planck_handle`,
      );
    }
    const type = kind === "function" ? exportType(parsed, parsed.exportedFunctions.get(name) ?? -1) : kind;
    if (type !== spec.type) {
      invalid("exports", `Export "${name}" must be a function of type ${spec.type}, not ${type}`);
    }
  }
  const fuel = kinds.get(FUEL_GLOBAL_EXPORT);
  if (fuel !== undefined && !(options.fueled && fuel === "global")) {
    invalid("exports", `Export "${FUEL_GLOBAL_EXPORT}" is reserved for the host`);
  }
  return fuel !== undefined;
}

/**
 * Checks a native module against the core ABI and returns its shape.
 * @throws PlanckError `invalid_argument` (field "wasm", "imports" or "exports") naming the problem
 */
export function inspectNativeModule(wasm: Uint8Array, options: InspectOptions = {}): NativeShape {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  } catch (error) {
    invalid("wasm", `Invalid WebAssembly module: ${(error as Error).message}`);
  }
  return inspectCompiled(module, wasm, options);
}

/** inspectNativeModule for bytes already compiled to `module`. @throws PlanckError `invalid_argument` */
export function inspectCompiled(
  module: WebAssembly.Module,
  wasm: Uint8Array,
  options: InspectOptions = {},
): NativeShape {
  const parsed = parseSections(wasm);
  const imports = checkImports(module, parsed, options);
  const memory = checkMemory(parsed);
  const fuelExported = checkExports(module, parsed, options);
  return {
    memoryPagesMin: memory.min,
    memoryPagesMax: memory.max,
    imports,
    describes: parsed.exportedFunctions.has(EXPORT_DESCRIBE),
    fueled: fuelExported && imports.includes(FUEL_IMPORT),
  };
}
