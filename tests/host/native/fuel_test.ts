/**
 * injectFuel on hand-written WAT modules: the rewrite adds the exported fuel global and the host's
 * out_of_fuel import, spends one unit per loop iteration (also in nested loops and loops hidden in
 * operands) and per entry of a recursive function, prepays calls to other functions at the
 * caller's check, calls out_of_fuel when the counter goes negative, and leaves results unchanged;
 * recursion (direct, mutual, through a table) and call trees that fan out are stopped.
 */
import binaryen from "binaryen";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { FUEL_GLOBAL_EXPORT, START_FUEL } from "../../../host/native/core_abi.ts";
import { fuelPlan, injectFuel } from "../../../host/native/fuel.ts";
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

Deno.test("injectFuel spends one unit per loop iteration and per recursive entry, none on other entries", async () => {
  const guest = await instantiate(injectFuel(wat(GUEST)));
  assertEquals(spent(guest, () => guest.sum(0)), 0);
  assertEquals(spent(guest, () => guest.sum(1)), 1);
  assertEquals(spent(guest, () => guest.sum(1000)), 1000);
  assertEquals(spent(guest, () => guest.nested(3, 4)), 3 + 3 * 4);
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
  // 1000 units from 100, refilled by 100 each time the counter reaches −1: 101 units per refill.
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
  assertEquals(spent(guest, () => guest.sum(5)), 5);
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

const CALLS = `(module
  (import "env" "memory" (memory 1))
  ;; f and g tail-call each other forever: no stack grows, only fuel can stop them
  (func $f (export "f") (param $n i32) (result i32) (return_call $g (i32.add (local.get $n) (i32.const 1))))
  (func $g (param $n i32) (result i32) (return_call $f (call $h (local.get $n))))
  (func $h (param $n i32) (result i32) (i32.add (local.get $n) (i32.const 1)))
  ;; a loop calling the leaf h once per iteration
  (func $loopH (export "loopH") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (call $h (local.get $s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  ;; bounded mutual recursion without tail calls
  (func $even (export "even") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 1))
      (else (call $odd (i32.sub (local.get $n) (i32.const 1))))))
  (func $odd (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (call $even (i32.sub (local.get $n) (i32.const 1))))))
  ;; self-recursion without a base case
  (func $forever (export "forever") (call $forever)))`;

interface CallsGuest {
  f(n: number): number;
  loopH(n: number): number;
  even(n: number): number;
  forever(): void;
  [FUEL_GLOBAL_EXPORT]: WebAssembly.Global;
}

/** The functions of `wasm` injectFuel checks at entry, with the reason. */
function entryChecks(wasm: Uint8Array): Record<string, string | null> {
  return Object.fromEntries([...fuelPlan(wasm)].map(([name, f]) => [name, f.entryCheck]));
}

/** Runs `run` on `guest` with `units` of fuel and an out_of_fuel that throws; returns the error message. */
function stopped(
  guest: { [FUEL_GLOBAL_EXPORT]: WebAssembly.Global },
  units: number,
  run: () => void,
): string {
  guest[FUEL_GLOBAL_EXPORT].value = units;
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return "not stopped";
}

const outOfFuel = () => {
  throw new Error("out of fuel");
};

Deno.test("injectFuel checks the entries of recursive functions, not of a leaf or a loop's callee", () => {
  assertEquals(entryChecks(wat(CALLS, true)), {
    f: "cycle",
    g: "cycle",
    h: null,
    loopH: null,
    even: "cycle",
    odd: "cycle",
    forever: "cycle",
  });
});

Deno.test("injectFuel stops unbounded mutual tail recursion with out_of_fuel", async () => {
  const guest = await instantiate(injectFuel(wat(CALLS)), outOfFuel) as unknown as CallsGuest;
  assertEquals(stopped(guest, 10_000, () => guest.f(0)), "out of fuel");
  assert(guest[FUEL_GLOBAL_EXPORT].value < 0);
});

Deno.test("injectFuel stops infinite self-recursion by fuel or by stack overflow", async () => {
  const guest = await instantiate(injectFuel(wat(CALLS)), outOfFuel) as unknown as CallsGuest;
  assertEquals(stopped(guest, 100, () => guest.forever()), "out of fuel");
  const refilled = await instantiate(injectFuel(wat(CALLS))) as unknown as CallsGuest;
  assert(/call stack/i.test(stopped(refilled, 1_000_000_000, () => refilled.forever())));
});

Deno.test("injectFuel spends one unit per entry of mutually recursive functions", async () => {
  const guest = await instantiate(injectFuel(wat(CALLS))) as unknown as CallsGuest;
  assertEquals(spent(guest as unknown as Guest, () => assertEquals(guest.even(100), 1)), 101);
});

Deno.test("injectFuel prepays a leaf called from a loop at the loop's check", async () => {
  const plain = await instantiate(wat(CALLS)) as unknown as CallsGuest;
  const guest = await instantiate(injectFuel(wat(CALLS))) as unknown as CallsGuest;
  assertEquals(
    spent(guest as unknown as Guest, () => assertEquals(guest.loopH(10), plain.loopH(10))),
    10 * 2,
  );
});

/** A module whose `spin` tail-calls table slot `n`; `elements` fills the table (slot 0: a leaf). */
const INSTALL = `(elem (i32.const 0) $leaf) (elem declare func $spin)
  (func $install (export "install") (table.set $table (i32.const 1) (ref.func $spin)))`;

function tableModule(elements: string): string {
  return `(module
  (import "env" "memory" (memory 1))
  (type $t (func (param i32) (result i32)))
  (table $table 2 funcref)
  (global $leafRef funcref (ref.func $leaf))
  ${elements}
  (func $leaf (param i32) (result i32) (local.get 0))
  (func $spin (export "spin") (param $n i32) (result i32)
    (return_call_indirect (type $t) (local.get $n) (local.get $n))))`;
}

interface TableGuest {
  spin(n: number): number;
  install(): void;
  [FUEL_GLOBAL_EXPORT]: WebAssembly.Global;
}

Deno.test("injectFuel treats indirect calls as cyclic when a table may reach the caller", async () => {
  const cases: [string, string, string | null][] = [
    ["only a leaf in the table", `(elem (i32.const 0) $leaf)`, null],
    ["the caller in an element segment", `(elem (i32.const 0) $leaf $spin)`, "cycle"],
    ["the caller named by ref.func", INSTALL, "cycle"],
    [
      "an entry binaryen cannot list",
      `(elem (table $table) (i32.const 0) funcref (global.get $leafRef))`,
      "cycle",
    ],
  ];
  for (const [name, elements, check] of cases) {
    assertEquals(entryChecks(wat(tableModule(elements), true)).spin, check, name);
  }
  const bytes = injectFuel(wat(tableModule(INSTALL)));
  const guest = await instantiate(bytes, outOfFuel) as unknown as TableGuest;
  assertEquals(guest.spin(0), 0);
  guest.install();
  assertEquals(stopped(guest, 10_000, () => guest.spin(1)), "out of fuel");
});

/** `levels` functions, each calling the next twice: 2^levels calls without a loop or a cycle. */
function fanModule(levels: number): string {
  const funcs = Array.from(
    { length: levels },
    (_, i) =>
      i === levels - 1
        ? `(func $c${i} (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))`
        : `(func $c${i} (param i32) (result i32) (call $c${i + 1} (call $c${i + 1} (local.get 0))))`,
  );
  return `(module
  (import "env" "memory" (memory 1))
  ${funcs.join("\n  ")}
  (func (export "fan") (param i32) (result i32) (call $c0 (local.get 0)))
  (func (export "loopFan") (param $n i32) (local $i i32)
    (loop $l
      (drop (call $c0 (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`;
}

interface FanGuest {
  fan(n: number): number;
  loopFan(n: number): void;
  [FUEL_GLOBAL_EXPORT]: WebAssembly.Global;
}

Deno.test("injectFuel charges every call a loop iteration may cause at the loop's check", async () => {
  // c0 → 2 × c1 → 4 × c2: 7 calls per iteration, prepaid with the iteration: 8 units.
  const guest = await instantiate(injectFuel(wat(fanModule(3)))) as unknown as FanGuest;
  assertEquals(Object.values(entryChecks(wat(fanModule(3), true))), [null, null, null, null, null]);
  assertEquals(spent(guest as unknown as Guest, () => guest.loopFan(10)), 10 * 8);
  assertEquals(spent(guest as unknown as Guest, () => assertEquals(guest.fan(0), 4)), 0);
});

Deno.test("injectFuel stops a call tree that fans out without loops or recursion", async () => {
  // 2^40 calls: without checks this would run for hours; some functions get an entry check.
  const checks = entryChecks(wat(fanModule(40), true));
  assert(Object.values(checks).includes("calls"));
  assert(!Object.values(checks).includes("cycle"));
  const guest = await instantiate(injectFuel(wat(fanModule(40))), outOfFuel) as unknown as FanGuest;
  assertEquals(stopped(guest, 100_000, () => guest.fan(0)), "out of fuel");
});
