/**
 * What fuel injection costs a native guest: a CPU loop, a recursive fib and a trivial handler, each
 * called with and without `injectFuel`, in ns per call and overhead %; then how fast a tight loop
 * burns fuel (units per ms, what FUEL_SLICE is sized from), and one NativeInstance.handle round trip.
 *
 *   deno run -A bench/native_fuel.ts [--rounds=5]
 */
import binaryen from "binaryen";
import { BSON } from "bson";
import { FUEL_GLOBAL_EXPORT, FUEL_SLICE } from "../host/native/core_abi.ts";
import { injectFuel } from "../host/native/fuel.ts";
import { NativeInstance } from "../host/native/instance.ts";
import { prepareNative } from "../host/native/prepare.ts";

const rounds = Number(Deno.args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 5);

const RESPONSE = BSON.serialize({ status: 200, headers: [], body: "ok" });
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
const WAT = `(module
  (import "env" "memory" (memory 1 16))
  (data (i32.const 0x100) "${hex(RESPONSE)}")
  (data (i32.const 0x200) "\\00\\01\\00\\00${hex(Uint8Array.of(RESPONSE.length, 0, 0, 0))}")
  (func (export "planck_alloc") (param i32) (result i32) (i32.const 0x1000))
  (func (export "planck_handle") (param i32 i32) (result i32) (i32.const 0x200))
  (func (export "cpu") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "spin") (loop $l (br $l))))`;

interface Guest {
  planck_handle(ptr: number, len: number): number;
  cpu(n: number): number;
  fib(n: number): number;
  spin(): void;
  [FUEL_GLOBAL_EXPORT]?: WebAssembly.Global;
}

function wat(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

async function instantiate(bytes: Uint8Array, outOfFuel: () => void): Promise<Guest> {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, {
    env: { memory },
    planck: { out_of_fuel: outOfFuel },
  });
  return instance.exports as unknown as Guest;
}

/** Median ns per call of `fn` over `rounds` rounds of `calls` calls. */
function measure(calls: number, fn: () => void): number {
  for (let i = 0; i < calls; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) fn();
    samples.push((performance.now() - started) * 1e6 / calls);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

const plainBytes = wat(WAT);
let started = performance.now();
const fueledBytes = injectFuel(plainBytes);
console.log(
  `injectFuel: ${
    (performance.now() - started).toFixed(1)
  } ms, ${plainBytes.length} → ${fueledBytes.length} bytes`,
);
const plain = await instantiate(plainBytes, () => {});
let fueled: Guest | undefined = undefined;
fueled = await instantiate(fueledBytes, () => (fueled![FUEL_GLOBAL_EXPORT]!.value = FUEL_SLICE));

console.log("| case | plain ns/call | fueled ns/call | overhead |");
console.log("| --- | ---: | ---: | ---: |");
const cases: [string, number, (g: Guest) => void][] = [
  ["cpu loop, 100k iterations", 200, (g) => g.cpu(100_000)],
  ["fib(20), 21,891 calls", 200, (g) => g.fib(20)],
  ["trivial planck_handle", 1_000_000, (g) => g.planck_handle(0x1000, 0)],
];
for (const [name, calls, run] of cases) {
  const a = measure(calls, () => run(plain));
  const b = measure(calls, () => run(fueled!));
  console.log(`| ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${((b / a - 1) * 100).toFixed(1)}% |`);
}

// Fuel burn rate of the tightest loop: refills during a fixed wall time.
const SPIN_MS = 300;
let refills = 0;
const spinEnd = performance.now() + SPIN_MS;
const spinner: Guest = await instantiate(fueledBytes, () => {
  if (performance.now() >= spinEnd) throw new Error("done");
  refills++;
  spinner[FUEL_GLOBAL_EXPORT]!.value = FUEL_SLICE;
});
spinner[FUEL_GLOBAL_EXPORT]!.value = FUEL_SLICE;
started = performance.now();
try {
  spinner.spin();
} catch { /* the deadline */ }
const unitsPerMs = refills * FUEL_SLICE / (performance.now() - started);
console.log(
  `tight loop: ${(unitsPerMs / 1e6).toFixed(2)} M units/ms, so one FUEL_SLICE (${FUEL_SLICE}) ≈ ` +
    `${(FUEL_SLICE / unitsPerMs).toFixed(2)} ms`,
);

const prepared = await prepareNative(plainBytes);
const instance = await NativeInstance.create(prepared.module, prepared.shape, { memoryBytes: 1 << 20 });
const request = {
  id: "b",
  method: "GET",
  path: "/",
  query: "",
  headers: [] as [string, string][],
  body: null,
};
const handleNs = measure(100_000, () => instance.handle(request, () => ({ ok: true }), Date.now() + 1000));
console.log(
  `NativeInstance.handle (BSON both ways, trivial guest): ${(handleNs / 1000).toFixed(2)} µs/request`,
);
