/**
 * What fuel injection costs a native guest: a CPU loop, a recursive fib, a trivial handler and two
 * routes of the AssemblyScript HTTP bench service (bench/http/service_native, built -O3s, host calls
 * answered by a stub), each run with and without `injectFuel`, in ns per call and overhead %; then
 * how fast a tight loop burns fuel (units per ms, what FUEL_SLICE is sized from), and one
 * NativeInstance.handle round trip.
 *
 *   deno run -A bench/native_fuel.ts [--rounds=5]
 */
import binaryen from "binaryen";
import { BSON } from "bson";
import { buildNativeService } from "../host/native/build.ts";
import { FUEL_GLOBAL_EXPORT, FUEL_SLICE, PAGE_BYTES } from "../host/native/core_abi.ts";
import { fuelPlan, injectFuel } from "../host/native/fuel.ts";
import { NativeInstance } from "../host/native/instance.ts";
import { prepareNative } from "../host/native/prepare.ts";
import { NativeSession } from "../host/native/session.ts";
import { inspectNativeModule } from "../host/native/validate.ts";

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

/** Median ns per awaited call of `fn`, over the rounds. */
async function measureAsync(calls: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < calls; i++) await fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    samples.push((performance.now() - started) * 1e6 / calls);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

/** Median ns per call of each of `fns`, their rounds interleaved so that drift hits all alike. */
function compare(calls: number, fns: (() => void)[]): number[] {
  for (const fn of fns) for (let i = 0; i < calls; i++) fn();
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, f) => {
      const started = performance.now();
      for (let i = 0; i < calls; i++) fn();
      samples[f].push((performance.now() - started) * 1e6 / calls);
    });
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
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

/** The AssemblyScript service's exports the bench calls. */
interface ServiceExports {
  planck_alloc(len: number): number;
  planck_handle(ptr: number, len: number): number;
  [FUEL_GLOBAL_EXPORT]?: WebAssembly.Global;
}

const SERVICE_DIR = new URL("./http/service_native", import.meta.url).pathname;
const SERVICE_MEMORY_PAGES = 1024;
const ITEM = {
  key: "0123456789abcdef0123456789abcdef",
  user: "Ann <ann@example.com>",
  status: "open",
  amount: 1234.5,
  tags: ["red", "green & blue", "x"],
  created: 1_700_000_000_000,
};
const ITEMS = Array.from({ length: 20 }, () => ITEM);

/** Host calls answered without an engine: `get` finds ITEM, `find` finds 20 copies of it. */
function stubHost(call: Record<string, unknown>): Record<string, unknown> {
  if (call.op === "get") return { ok: true, result: ITEM };
  if (call.op === "find") return { ok: true, result: ITEMS };
  return { ok: true };
}

/** A request encoded as NativeInstance.handle encodes it. */
function encodeRequest(path: string, query = ""): Uint8Array {
  return BSON.serialize({ id: "b", method: "GET", path, query, headers: [], body: null });
}

/** Runs one encoded request through `bytes` (plain or fueled) the way NativeInstance does; returns the status. */
async function serviceRunner(bytes: Uint8Array, pagesMin: number): Promise<(request: Uint8Array) => number> {
  const memory = new WebAssembly.Memory({ initial: pagesMin, maximum: SERVICE_MEMORY_PAGES });
  const session = new NativeSession(memory, SERVICE_MEMORY_PAGES * PAGE_BYTES);
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, session.imports());
  const exports = instance.exports as unknown as ServiceExports;
  session.fuel = exports[FUEL_GLOBAL_EXPORT] ?? new WebAssembly.Global({ value: "i32", mutable: true }, 0);
  return (request) => {
    session.begin(stubHost, Date.now() + 60_000, FUEL_SLICE);
    try {
      const ptr = exports.planck_alloc(request.length) >>> 0;
      session.write(ptr, request, "planck_alloc");
      const reply = session.readResult(exports.planck_handle(ptr, request.length) >>> 0);
      return reply.status as number;
    } finally {
      session.end();
    }
  };
}

started = performance.now();
const service = (await buildNativeService(SERVICE_DIR)).wasm;
const servicePagesMin = inspectNativeModule(service).memoryPagesMin;
const serviceFueledBytes = injectFuel(service);
console.log(
  `service: built in ${(performance.now() - started).toFixed(0)} ms, ${service.length} → ` +
    `${serviceFueledBytes.length} bytes fueled`,
);
const entryChecks = [...fuelPlan(service).values()].map((f) => f.entryCheck);
console.log(
  `service: entry checks in ${entryChecks.filter((c) => c !== null).length} of ${entryChecks.length} ` +
    `functions (${entryChecks.filter((c) => c === "cycle").length} on a cycle of calls)`,
);
const servicePlain = await serviceRunner(service, servicePagesMin);
const serviceFueled = await serviceRunner(serviceFueledBytes, servicePagesMin);
const getItem = encodeRequest(`/native/item/${ITEM.key}`);
const listItems = encodeRequest("/native/list", "status=open");
for (const request of [getItem, listItems]) {
  const statuses = [servicePlain(request), serviceFueled(request)];
  if (statuses.some((s) => s !== 200)) throw new Error(`service replied ${statuses.join(", ")}, not 200`);
}

console.log("| case | plain ns/call | fueled ns/call | overhead |");
console.log("| --- | ---: | ---: | ---: |");
const cases: [string, number, () => void, () => void][] = [
  ["cpu loop, 100k iterations", 200, () => plain.cpu(100_000), () => fueled!.cpu(100_000)],
  ["fib(20), 21,891 calls", 200, () => plain.fib(20), () => fueled!.fib(20)],
  [
    "trivial planck_handle",
    1_000_000,
    () => plain.planck_handle(0x1000, 0),
    () => fueled!.planck_handle(0x1000, 0),
  ],
  ["AS service GET /item/:key", 20_000, () => servicePlain(getItem), () => serviceFueled(getItem)],
  ["AS service GET /list (20 items)", 5_000, () => servicePlain(listItems), () => serviceFueled(listItems)],
];
for (const [name, calls, runPlain, runFueled] of cases) {
  const [a, b] = compare(calls, [runPlain, runFueled]);
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
// handle is a promising entry (host/guest/guest_slice.ts): time it awaited, one call at a time.
const handleNs = await measureAsync(
  100_000,
  () => instance.handle(request, () => ({ ok: true }), Date.now() + 1000),
);
console.log(
  `NativeInstance.handle (BSON both ways, trivial guest): ${(handleNs / 1000).toFixed(2)} µs/request`,
);
