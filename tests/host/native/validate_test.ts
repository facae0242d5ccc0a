/**
 * inspectNativeModule against hand-written WAT modules: a module using every allowed import passes
 * with its memory limits; every refused import, a module-defined or missing memory, the host-only
 * fuel import and export, and missing or mistyped exports are refused with a message naming them.
 */
import binaryen from "binaryen";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { inspectNativeModule } from "../../../host/native/validate.ts";

/** Module bytes from WAT text. */
function wat(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

const MEMORY = `(import "env" "memory" (memory 2 8))`;
const EXPORTS = `
  (func (export "planck_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "planck_handle") (param i32 i32) (result i32) (i32.const 0))`;

function moduleWith(imports: string, exports = EXPORTS): Uint8Array {
  return wat(`(module ${imports} ${exports})`);
}

Deno.test("inspectNativeModule accepts every allowed import and reports the memory limits", () => {
  const shape = inspectNativeModule(moduleWith(`
    ${MEMORY}
    (import "env" "abort" (func (param i32 i32 i32 i32)))
    (import "env" "trace" (func (param i32 i32 f64 f64 f64 f64 f64)))
    (import "env" "seed" (func (result f64)))
    (import "planck" "request" (func (param i32 i32 i32 i32) (result i32)))
    (import "planck" "take" (func (param i32) (result i32)))
    (import "planck" "log" (func (param i32 i32 i32)))
    (import "planck" "now_ms" (func (result f64)))
    (import "planck" "random" (func (param i32 i32)))`));
  assertEquals(shape.memoryPagesMin, 2);
  assertEquals(shape.memoryPagesMax, 8);
  assertEquals(shape.imports.length, 9);
  assert(shape.imports.includes("planck.take"));
  assertEquals(shape.describes, false);
  assertEquals(shape.fueled, false);
});

Deno.test("inspectNativeModule reports no maximum when the memory declares none, and planck_describe", () => {
  const shape = inspectNativeModule(
    moduleWith(
      `(import "env" "memory" (memory 1))`,
      `${EXPORTS} (func (export "planck_describe") (result i32) (i32.const 0))`,
    ),
  );
  assertEquals(shape.memoryPagesMin, 1);
  assertEquals(shape.memoryPagesMax, undefined);
  assertEquals(shape.describes, true);
});

const REFUSED_IMPORTS: [string, string, string][] = [
  [
    `(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))`,
    "wasi_snapshot_preview1.fd_write",
    "is not allowed (allowed: env.memory, env.abort",
  ],
  [`(import "env" "console_log" (func (param i32)))`, "env.console_log", "is not allowed"],
  [`(import "planck" "query" (func (param i32 i32) (result i32)))`, "planck.query", "is not allowed"],
  [`(import "env" "table" (table 1 funcref))`, "env.table", "is not allowed"],
  [`(import "env" "g" (global i32))`, "env.g", "is not allowed"],
  [
    `(import "env" "abort" (func (param i32)))`,
    "env.abort",
    "must have type (i32,i32,i32,i32)->(), not (i32)->()",
  ],
  [
    `(import "planck" "log" (func (param i32 i32 i32) (result i32)))`,
    "planck.log",
    "must have type (i32,i32,i32)->()",
  ],
  [`(import "env" "seed" (global f64))`, "env.seed", "must be a function of type ()->(f64), not a global"],
  [`(import "planck" "out_of_fuel" (func))`, "planck.out_of_fuel", "is reserved for the host"],
];

for (const [imports, name, reason] of REFUSED_IMPORTS) {
  Deno.test(`inspectNativeModule refuses the import "${name}" and names it`, async () => {
    const error = await assertRejectsCode(
      () => inspectNativeModule(moduleWith(`${MEMORY} ${imports}`)),
      "invalid_argument",
      `Import "${name}" ${reason}`,
    );
    assertEquals(error.location?.field, "imports");
  });
}

Deno.test("inspectNativeModule refuses a module that defines its own memory", async () => {
  const error = await assertRejectsCode(
    () => inspectNativeModule(moduleWith(`(memory (export "memory") 1)`)),
    "invalid_argument",
    "defines its own memory; build with --importMemory",
  );
  assertEquals(error.location?.field, "imports");
});

Deno.test("inspectNativeModule refuses a module without a memory", async () => {
  await assertRejectsCode(
    () => inspectNativeModule(moduleWith("")),
    "invalid_argument",
    `does not import "env.memory"`,
  );
});

Deno.test("inspectNativeModule refuses a memory imported under another name", async () => {
  await assertRejectsCode(
    () => inspectNativeModule(moduleWith(`(import "env" "mem" (memory 1))`)),
    "invalid_argument",
    `Import "env.mem" is not allowed`,
  );
});

const REFUSED_EXPORTS: [string, string, string][] = [
  [`(func (export "planck_alloc") (param i32) (result i32) (i32.const 0))`, "planck_handle", "is missing"],
  [
    `(func (export "planck_handle") (param i32 i32) (result i32) (i32.const 0))`,
    "planck_alloc",
    "is missing",
  ],
  [
    `(func (export "planck_alloc") (param i32) (result i32) (i32.const 0))
     (func (export "planck_handle") (param i32) (result i32) (i32.const 0))`,
    "planck_handle",
    "must be a function of type (i32,i32)->(i32), not (i32)->(i32)",
  ],
  [
    `(global (export "planck_alloc") i32 (i32.const 0))
     (func (export "planck_handle") (param i32 i32) (result i32) (i32.const 0))`,
    "planck_alloc",
    "must be a function of type (i32)->(i32), not global",
  ],
  [
    `${EXPORTS} (func (export "planck_describe") (param i32) (result i32) (i32.const 0))`,
    "planck_describe",
    "must be a function",
  ],
  [
    `${EXPORTS} (global (export "__planck_fuel") (mut i32) (i32.const 0))`,
    "__planck_fuel",
    "is reserved for the host",
  ],
];

for (const [exports, name, reason] of REFUSED_EXPORTS) {
  Deno.test(`inspectNativeModule refuses the exports when "${name}" ${reason.split(",")[0]}`, async () => {
    const error = await assertRejectsCode(
      () => inspectNativeModule(moduleWith(MEMORY, exports)),
      "invalid_argument",
      `Export "${name}" ${reason}`,
    );
    assertEquals(error.location?.field, "exports");
  });
}

Deno.test("inspectNativeModule types an exported import by its import type", () => {
  const imports =
    `${MEMORY} (import "planck" "take" (func $take (param i32) (result i32))) (export "planck_alloc" (func $take))`;
  const shape = inspectNativeModule(
    moduleWith(imports, `(func (export "planck_handle") (param i32 i32) (result i32) (i32.const 0))`),
  );
  assertEquals(shape.imports.toSorted(), ["env.memory", "planck.take"]);
});

Deno.test("inspectNativeModule refuses bytes that are not WebAssembly", async () => {
  const error = await assertRejectsCode(
    () => inspectNativeModule(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 9])),
    "invalid_argument",
    "Invalid WebAssembly module",
  );
  assertEquals(error.location?.field, "wasm");
});

Deno.test("inspectNativeModule accepts the fuel import and export only for host-rewritten bytes", () => {
  const bytes = moduleWith(
    `${MEMORY} (import "planck" "out_of_fuel" (func))`,
    `${EXPORTS} (global (export "__planck_fuel") (mut i32) (i32.const 0))`,
  );
  assertEquals(inspectNativeModule(bytes, { fueled: true }).fueled, true);
});
