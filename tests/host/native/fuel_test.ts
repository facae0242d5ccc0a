/**
 * injectFuel on hand-written WAT modules: the rewrite adds the exported fuel global and the host's
 * out_of_fuel import, spends exactly one unit per function entry and per loop iteration (also in
 * nested loops and loops hidden in operands), calls out_of_fuel when the counter goes negative,
 * and leaves results unchanged.
 */
import binaryen from "binaryen";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { FUEL_GLOBAL_EXPORT, START_FUEL } from "../../../host/native/core_abi.ts";
import { injectFuel } from "../../../host/native/fuel.ts";
import { inspectNativeModule } from "../../../host/native/validate.ts";
import { loadPrepared, prepareNative } from "../../../host/native/prepare.ts";

/** Module bytes from WAT text (`names`: keep the names section). */
function wat(text: string, names = false): Uint8Array {
  binaryen.setDebugInfo(names);
  const module = binaryen.parseText(text);
  try {
    return module.emitBinary();
  } finally {
    module.dispose();
    binaryen.setDebugInfo(false);
  }
}

const GUEST = `(module
  (import "env" "memory" (memory 1))
  (func (export "planck_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "planck_handle") (param i32 i32) (result i32) (i32.const 0))
  ;; sum of 0..n-1: one loop of n iterations
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (loop $l
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  ;; an outer loop of a iterations around an inner loop of b, the inner one inside an operand
  (func (export "nested") (param $a i32) (param $b i32) (result i32)
    (local $i i32) (local $j i32) (local $c i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (local.set $c (i32.add (local.get $c)
        (block (result i32)
          (loop $inner
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get $j) (local.get $b))))
          (local.get $j))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $a))))
    (local.get $c))
  ;; n nested calls
  (func $depth (export "depth") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $depth (i32.sub (local.get $n) (i32.const 1))) (i32.const 1))))))`;

interface Guest {
  sum(n: number): number;
  nested(a: number, b: number): number;
  depth(n: number): number;
  [FUEL_GLOBAL_EXPORT]: WebAssembly.Global;
}

async function instantiate(bytes: Uint8Array, outOfFuel: () => void = () => {}): Promise<Guest> {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, {
    env: { memory },
    planck: { out_of_fuel: outOfFuel },
  });
  return instance.exports as unknown as Guest;
}

/** Fuel spent by `run` on `guest`. */
function spent(guest: Guest, run: () => void): number {
  guest[FUEL_GLOBAL_EXPORT].value = 1_000_000;
  run();
  return 1_000_000 - guest[FUEL_GLOBAL_EXPORT].value;
}

Deno.test("injectFuel adds the exported fuel global and the out_of_fuel import", async () => {
  const bytes = injectFuel(wat(GUEST));
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  assert(WebAssembly.Module.imports(module).some((i) => `${i.module}.${i.name}` === "planck.out_of_fuel"));
  assertEquals(WebAssembly.Module.exports(module).find((e) => e.name === FUEL_GLOBAL_EXPORT)?.kind, "global");
  assertEquals(inspectNativeModule(bytes, { fueled: true }).fueled, true);
  const guest = await instantiate(bytes);
  assertEquals(guest[FUEL_GLOBAL_EXPORT].value, START_FUEL);
});

Deno.test("injectFuel spends one unit per function entry and per loop iteration", async () => {
  const guest = await instantiate(injectFuel(wat(GUEST)));
  assertEquals(spent(guest, () => guest.sum(0)), 1);
  assertEquals(spent(guest, () => guest.sum(1)), 2);
  assertEquals(spent(guest, () => guest.sum(1000)), 1001);
  assertEquals(spent(guest, () => guest.nested(3, 4)), 1 + 3 + 3 * 4);
  assertEquals(spent(guest, () => guest.depth(10)), 11);
});

Deno.test("injectFuel leaves results unchanged", async () => {
  const plain = await instantiate(wat(GUEST));
  const fueled = await instantiate(injectFuel(wat(GUEST)));
  for (const n of [0, 1, 7, 10_000]) assertEquals(fueled.sum(n), plain.sum(n));
  assertEquals(fueled.nested(5, 6), plain.nested(5, 6));
  assertEquals(fueled.depth(100), plain.depth(100));
});

Deno.test("injectFuel calls out_of_fuel whenever the counter goes negative", async () => {
  let calls = 0;
  let guest: Guest | undefined = undefined;
  guest = await instantiate(injectFuel(wat(GUEST)), () => {
    calls++;
    guest![FUEL_GLOBAL_EXPORT].value = 100;
  });
  guest[FUEL_GLOBAL_EXPORT].value = 100;
  assertEquals(guest.sum(1000), 499_500);
  // 1001 units from 100, refilled by 100 each time the counter reaches −1: 101 units per refill.
  assertEquals(calls, 9);
});

Deno.test("injectFuel stops a guest whose out_of_fuel throws", async () => {
  const guest = await instantiate(injectFuel(wat(GUEST)), () => {
    throw new Error("out of fuel");
  });
  guest[FUEL_GLOBAL_EXPORT].value = 10;
  let message = "";
  try {
    guest.sum(1_000_000);
  } catch (error) {
    message = (error as Error).message;
  }
  assertEquals(message, "out of fuel");
  assertEquals(guest[FUEL_GLOBAL_EXPORT].value, -1);
});

Deno.test("injectFuel keeps working when the module already uses its internal names", async () => {
  const text = GUEST.replace(
    `(func (export "planck_alloc")`,
    `(global $__planck_fuel (mut i32) (i32.const 7)) (func $__planck_out_of_fuel) (func (export "planck_alloc")`,
  );
  const guest = await instantiate(injectFuel(wat(text, true)));
  assertEquals(spent(guest, () => guest.sum(5)), 6);
});

Deno.test("injectFuel refuses bytes binaryen cannot read", async () => {
  const error = await assertRejectsCode(
    () => injectFuel(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 9, 9])),
    "invalid_argument",
    "Cannot add fuel to the module",
  );
  assertEquals(error.location?.field, "wasm");
});

Deno.test("loadPrepared keeps bytes prepareNative rewrote and rewrites plain ones", async () => {
  const prepared = await prepareNative(wat(GUEST));
  const reloaded = await loadPrepared(prepared.bytes);
  assertEquals(reloaded.bytes, prepared.bytes);
  assertEquals(reloaded.shape, prepared.shape);
  const plain = await loadPrepared(wat(GUEST));
  assertEquals(plain.shape.fueled, true);
  assertEquals(plain.bytes, prepared.bytes);
});
