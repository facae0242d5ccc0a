/**
 * NativeInstance with hand-written WAT guests prepared like an upload (inspect, inject fuel,
 * compile): a request round-trips as BSON, host calls run exactly once whether or not the reply fits
 * the guest's buffer, log/trace/now/random/seed work, and every fault — deadline, stack overflow,
 * memory cap, abort, a malformed response — ends the request with the right kind and a broken
 * instance.
 */
import binaryen from "binaryen";
import { BSON } from "bson";
import { assert, assertEquals, assertRejectsCode } from "../../_util/assert.ts";
import { NativeInstance } from "../../../host/native/instance.ts";
import { prepareNative } from "../../../host/native/prepare.ts";
import type { GuestRequest } from "../../../protocol/abi.ts";
import { GuestFault, type HostCall } from "../../../host/guest/guest.ts";

/** Module bytes from WAT text. */
function wat(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** Bytes as a WAT data string. */
function data(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
}

/** An AssemblyScript string (u32 byte length, then UTF-16LE) as WAT data; the string starts 4 bytes in. */
function asString(text: string): string {
  const units = Array.from(text, (c) => c.charCodeAt(0));
  const bytes = new Uint8Array(4 + 2 * units.length);
  new DataView(bytes.buffer).setUint32(0, 2 * units.length, true);
  units.forEach((u, i) => new DataView(bytes.buffer).setUint16(4 + 2 * i, u, true));
  return data(bytes);
}

/**
 * The guest library: imports, `planck_alloc` (a fixed buffer at 0x1000), `$copy`, and `$respond`,
 * which writes `{status: 200, headers: [], body: binary(src, n)}` at 0x8000 and returns the pointer
 * to `[ptr, len]` at 0x7ff8.
 */
const LIB = `
  (import "env" "memory" (memory 1 16))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))
  (import "env" "seed" (func $seed (result f64)))
  (import "planck" "request" (func $request (param i32 i32 i32 i32) (result i32)))
  (import "planck" "take" (func $take (param i32) (result i32)))
  (import "planck" "log" (func $log (param i32 i32 i32)))
  (import "planck" "now_ms" (func $now (result f64)))
  (import "planck" "random" (func $random (param i32 i32)))
  (data (i32.const 0x100) "\\10status\\00\\c8\\00\\00\\00\\04headers\\00\\05\\00\\00\\00\\00\\05body\\00")
  (data (i32.const 0x180) "body\\00\\00\\00\\00path\\00")
  (func (export "planck_alloc") (param i32) (result i32) (i32.const 0x1000))
  (func $copy (param $d i32) (param $s i32) (param $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (i32.store8 (local.get $d) (i32.load8_u (local.get $s)))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l))))
  (func $respond (param $s i32) (param $n i32) (result i32)
    (call $copy (i32.const 0x8004) (i32.const 0x100) (i32.const 32))
    (i32.store (i32.const 0x8024) (local.get $n))
    (i32.store8 (i32.const 0x8028) (i32.const 0))
    (call $copy (i32.const 0x8029) (local.get $s) (local.get $n))
    (i32.store8 (i32.add (i32.const 0x8029) (local.get $n)) (i32.const 0))
    (i32.store (i32.const 0x8000) (i32.add (local.get $n) (i32.const 42)))
    (i32.store (i32.const 0x7ff8) (i32.const 0x8000))
    (i32.store (i32.const 0x7ffc) (i32.add (local.get $n) (i32.const 42)))
    (i32.const 0x7ff8))`;

/** Finds key `$key` (NUL-terminated) among the top-level elements of the BSON document at `$doc`. */
const FIND = `
  (global $type (mut i32) (i32.const 0))
  (func $size (param $t i32) (param $v i32) (result i32)
    (if (i32.eq (local.get $t) (i32.const 2)) (then (return (i32.add (i32.load (local.get $v)) (i32.const 4)))))
    (if (i32.eq (local.get $t) (i32.const 4)) (then (return (i32.load (local.get $v)))))
    (if (i32.eq (local.get $t) (i32.const 5)) (then (return (i32.add (i32.load (local.get $v)) (i32.const 5)))))
    (i32.const 0))
  (func $keyEquals (param $a i32) (param $b i32) (result i32)
    (loop $l
      (if (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))) (then (return (i32.const 0))))
      (if (i32.eqz (i32.load8_u (local.get $a))) (then (return (i32.const 1))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $l))
    (i32.const 0))
  (func $find (param $doc i32) (param $key i32) (result i32)
    (local $p i32) (local $v i32)
    (local.set $p (i32.add (local.get $doc) (i32.const 4)))
    (loop $next
      (global.set $type (i32.load8_u (local.get $p)))
      (if (i32.eqz (global.get $type)) (then (return (i32.const 0))))
      (local.set $v (i32.add (local.get $p) (i32.const 1)))
      (loop $skip
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br_if $skip (i32.load8_u (i32.sub (local.get $v) (i32.const 1)))))
      (if (call $keyEquals (i32.add (local.get $p) (i32.const 1)) (local.get $key)) (then (return (local.get $v))))
      (local.set $p (i32.add (local.get $v) (call $size (global.get $type) (local.get $v))))
      (br $next))
    (i32.const 0))`;

/** A guest whose `planck_handle` body is `handle` (locals `$i`, `$n`, `$m` available). */
function guestWasm(handle: string, extra = ""): Uint8Array {
  return wat(`(module ${LIB} ${FIND} ${extra}
    (func (export "planck_handle") (param $ptr i32) (param $len i32) (result i32)
      (local $i i32) (local $n i32) (local $m i32)
      ${handle}))`);
}

/** Echo: the request's binary body, or its path when the body is null, as the response body. */
const ECHO = guestWasm(`
  (local.set $n (call $find (local.get $ptr) (i32.const 0x180)))
  (if (i32.eq (global.get $type) (i32.const 5))
    (then (return (call $respond (i32.add (local.get $n) (i32.const 5)) (i32.load (local.get $n))))))
  (local.set $n (call $find (local.get $ptr) (i32.const 0x188)))
  (call $respond (i32.add (local.get $n) (i32.const 4)) (i32.sub (i32.load (local.get $n)) (i32.const 1)))`);

/**
 * One host call with `call` into a buffer of `cap` bytes (then `take` when the reply is larger);
 * the body is `[n i32, second take i32, reply…]`.
 */
function hostCallGuest(call: Uint8Array, cap: number): Uint8Array {
  return guestWasm(
    `
    (local.set $n (call $request (i32.const 0x400) (i32.const ${call.length}) (i32.const 0x3000) (i32.const ${cap})))
    (i32.store (i32.const 0x2ff8) (local.get $n))
    (if (i32.gt_s (local.get $n) (i32.const ${cap})) (then
      (if (i32.ne (call $take (i32.const 0x3000)) (local.get $n)) (then unreachable))
      (i32.store (i32.const 0x2ffc) (call $take (i32.const 0x3000)))))
    (call $respond (i32.const 0x2ff8) (i32.add (i32.const 8) (select (local.get $n) (i32.const 0) (i32.gt_s (local.get $n) (i32.const 0)))))`,
    `(data (i32.const 0x400) "${data(call)}")`,
  );
}

const MEMORY_BYTES = 1024 * 1024;

async function instance(wasm: Uint8Array, memoryBytes = MEMORY_BYTES): Promise<NativeInstance> {
  const prepared = await prepareNative(wasm);
  return await NativeInstance.create(prepared.module, prepared.shape, { memoryBytes });
}

function request(path: string, body: Uint8Array | null = null): GuestRequest {
  return {
    id: "r1",
    method: body === null ? "GET" : "POST",
    path,
    query: "a=1",
    headers: [["x-a", "b"]],
    body,
  };
}

const noHost: HostCall = () => ({ ok: false, error: { code: "internal", message: "unexpected" } });
const soon = () => Date.now() + 5_000;

/** The fault `run` throws (and asserts it is one). */
async function fault(run: () => unknown): Promise<GuestFault> {
  try {
    await run();
  } catch (error) {
    assert(error instanceof GuestFault, `expected a GuestFault, got ${error}`);
    return error;
  }
  throw new Error("expected a GuestFault, nothing was thrown");
}

function bodyBytes(body: unknown): Uint8Array {
  assert(body instanceof Uint8Array, `expected a binary body, got ${typeof body}`);
  return body;
}

Deno.test("NativeInstance.handle round-trips a request: the guest echoes its path and body", async () => {
  const guest = await instance(ECHO);
  const echoed = await guest.handle(request("/hello/world"), noHost, soon());
  assertEquals(echoed.status, 200);
  assertEquals(echoed.headers, []);
  assertEquals(new TextDecoder().decode(bodyBytes(echoed.body)), "/hello/world");
  const bytes = crypto.getRandomValues(new Uint8Array(3000));
  assertEquals(bodyBytes((await guest.handle(request("/up", bytes), noHost, soon())).body), bytes);
  assertEquals(guest.broken, false);
  guest.dispose();
});

function splitHostBody(body: unknown): { n: number; again: number; reply: Record<string, unknown> | null } {
  const bytes = bodyBytes(body);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const n = view.getInt32(0, true);
  const reply = n > 0 ? BSON.deserialize(bytes.subarray(8), { useBigInt64: true }) : null;
  return { n, again: view.getInt32(4, true), reply };
}

Deno.test("NativeInstance host calls run once, whether the reply fits the buffer or is taken", async () => {
  const call = BSON.serialize({ op: "find", store: "items", limit: 2n });
  for (const [size, cap] of [[10, 4096], [3000, 64]]) {
    const calls: Record<string, unknown>[] = [];
    const host: HostCall = (c) => {
      calls.push(c);
      return {
        ok: true,
        result: { text: "x".repeat(size), n: 7n, at: new Date(5), raw: new Uint8Array([1]), u: undefined },
      };
    };
    const guest = await instance(hostCallGuest(call, cap));
    const { n, again, reply } = splitHostBody((await guest.handle(request("/"), host, soon())).body);
    assertEquals(calls, [{ op: "find", store: "items", limit: 2n }]);
    assert(n > cap === (size > cap), `reply of ${n} bytes against a buffer of ${cap}`);
    assertEquals(again, size > cap ? -2 : 0); // a second take has nothing to copy
    assertEquals(reply?.ok, true);
    const result = reply?.result as Record<string, unknown>;
    assertEquals([(result.text as string).length, result.n, result.at, "u" in result], [
      size,
      7n,
      new Date(5),
      false,
    ]);
  }
});

Deno.test("NativeInstance answers a host call whose bytes are not BSON with −1 and no call", async () => {
  let calls = 0;
  const guest = await instance(hostCallGuest(new Uint8Array([1, 2, 3]), 64));
  const { n } = splitHostBody((await guest.handle(request("/"), () => (calls++, { ok: true }), soon())).body);
  assertEquals([n, calls], [-1, 0]);
});

const LOGGING = guestWasm(
  `
  (call $trace (i32.const 0x508) (i32.const 2) (f64.const 1.5) (f64.const 2.5) (f64.const 0) (f64.const 0) (f64.const 0))
  (loop $l
    (call $log (i32.const 1) (i32.const 0x500) (i32.const 2))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (i32.const 150))))
  (f64.store (i32.const 0x3000) (call $now))
  (call $random (i32.const 0x3008) (i32.const 16))
  (f64.store (i32.const 0x3018) (call $seed))
  (call $respond (i32.const 0x3000) (i32.const 32))`,
  `(data (i32.const 0x500) "hi\\00\\00${asString("tick")}")`,
);

Deno.test("NativeInstance forwards log and trace lines (at most 100) and serves now, random and seed", async () => {
  const lines: unknown[] = [];
  const guest = await instance(LOGGING);
  const before = Date.now();
  const body = bodyBytes(
    (await guest.handle(request("/"), (c) => (lines.push(c), { ok: true }), soon())).body,
  );
  const view = new DataView(body.buffer, body.byteOffset);
  assertEquals(lines.length, 100);
  assertEquals(lines[0], { op: "log", level: "debug", message: "trace: tick 1.5, 2.5" });
  assertEquals(lines[1], { op: "log", level: "info", message: "hi" });
  assert(
    view.getFloat64(0, true) >= before && view.getFloat64(0, true) <= Date.now(),
    "now_ms is the wall clock",
  );
  assert(body.subarray(8, 24).some((b) => b !== 0), "random filled 16 bytes");
  assert(view.getFloat64(24, true) !== 0, "seed is not zero");
});

Deno.test("NativeInstance.handle stops an endless loop at its deadline as a timeout", async () => {
  const guest = await instance(guestWasm(`(loop $l (br $l)) (unreachable)`));
  const started = Date.now();
  const error = await fault(() => guest.handle(request("/spin"), noHost, started + 200));
  const elapsed = Date.now() - started;
  assertEquals(error.kind, "timeout");
  assert(elapsed >= 200 && elapsed < 20_000, `stopped after ${elapsed} ms`); // a hang guard: CI may be loaded
  assertEquals(guest.broken, true);
});

const FAULTS: [string, string, string, string][] = [
  ["a stack overflow", `(call $deep (i32.const 0))`, "trap", "overflowed its stack"],
  [
    "an abort",
    `(call $abort (i32.const 0x604) (i32.const 0x704) (i32.const 12) (i32.const 7)) (unreachable)`,
    "trap",
    "abort: boom at guest.ts:12:7",
  ],
  ["unreachable", `(unreachable)`, "trap", "unreachable"],
  [
    "a random fill over 4096 bytes",
    `(call $random (i32.const 0) (i32.const 4097)) (i32.const 0)`,
    "trap",
    "at most 4096",
  ],
  [
    "a reply outside memory",
    `(i32.store (i32.const 0) (i32.const 0x7ffffff0)) (i32.store (i32.const 4) (i32.const 64)) (i32.const 0)`,
    "throw",
    "outside memory",
  ],
  ["a response without status", `(call $respondRaw)`, "throw", "no integer status"],
];

const FAULT_EXTRA = `
  (data (i32.const 0x600) "${asString("boom")}")
  (data (i32.const 0x700) "${asString("guest.ts")}")
  (data (i32.const 0x800) "${data(BSON.serialize({ status: "200", headers: [] }))}")
  (func $deep (param $n i32) (result i32) (i32.add (call $deep (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func $respondRaw (result i32)
    (i32.store (i32.const 0) (i32.const 0x800))
    (i32.store (i32.const 4) (i32.load (i32.const 0x800)))
    (i32.const 0))`;

for (const [what, handle, kind, message] of FAULTS) {
  Deno.test(`NativeInstance.handle turns ${what} into a ${kind} fault and breaks the instance`, async () => {
    const guest = await instance(guestWasm(handle, FAULT_EXTRA));
    const error = await fault(() => guest.handle(request("/"), noHost, soon()));
    assertEquals(error.kind, kind);
    assert(error.message.includes(message), error.message);
    assertEquals(guest.broken, true);
    let again: unknown;
    try {
      await guest.handle(request("/"), noHost, soon());
    } catch (e) {
      again = e;
    }
    assert(again instanceof TypeError, "a broken instance refuses further requests");
  });
}

Deno.test("NativeInstance.handle stops a guest growing memory without end at the cap", async () => {
  const memoryBytes = 512 * 1024;
  const guest = await instance(
    guestWasm(`
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (unreachable)`),
    memoryBytes,
  );
  const error = await fault(() => guest.handle(request("/grow"), noHost, soon()));
  assertEquals(error.kind, "memory");
  assertEquals(guest.memoryBytes, memoryBytes);
  assertEquals(guest.broken, true);
});

Deno.test("NativeInstance keeps the module's declared maximum when it is below the cap", async () => {
  const guest = await instance(guestWasm(`
    (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (unreachable)`));
  assertEquals((await fault(() => guest.handle(request("/grow"), noHost, soon()))).kind, "memory");
  assertEquals(guest.memoryBytes, 16 * 64 * 1024);
});

Deno.test("NativeInstance host calls write to memory the guest grew during the request", async () => {
  const grow = guestWasm(
    `
    (drop (memory.grow (i32.const 2)))
    (local.set $n (call $request (i32.const 0x400) (i32.const ${
      BSON.serialize({ op: "x" }).length
    }) (i32.const 0x18000) (i32.const 256)))
    (call $copy (i32.const 0x3000) (i32.const 0x18000) (local.get $n))
    (call $respond (i32.const 0x3000) (local.get $n))`,
    `(data (i32.const 0x400) "${data(BSON.serialize({ op: "x" }))}")`,
  );
  const guest = await instance(grow);
  const body = bodyBytes((await guest.handle(request("/"), () => ({ ok: true, result: 1 }), soon())).body);
  assertEquals(BSON.deserialize(body), { ok: true, result: 1 });
  assertEquals(guest.memoryBytes, 3 * 64 * 1024);
  const again = bodyBytes((await guest.handle(request("/"), () => ({ ok: true, result: 2 }), soon())).body);
  assertEquals(BSON.deserialize(again), { ok: true, result: 2 });
});

Deno.test("NativeInstance.describe returns the document planck_describe points to", async () => {
  const guest = await instance(guestWasm(
    `(i32.const 0)`,
    `
    (func (export "planck_describe") (result i32) (call $respond (i32.const 0x180) (i32.const 4)))`,
  ));
  const doc = await guest.describe();
  assertEquals([doc.status, new TextDecoder().decode(bodyBytes(doc.body))], [200, "body"]);
});

Deno.test("NativeInstance.create refuses a module whose minimum memory is over the cap", async () => {
  const prepared = await prepareNative(ECHO);
  await assertRejectsCode(
    () => NativeInstance.create(prepared.module, prepared.shape, { memoryBytes: 32 * 1024 }),
    "limit_exceeded",
    "over the cap",
  );
});

Deno.test("NativeInstance.create stops a start function that never ends as a timeout", async () => {
  const endless = guestWasm(`(i32.const 0)`, `(func $start (loop $l (br $l))) (start $start)`);
  const prepared = await prepareNative(endless);
  let caught: unknown;
  try {
    await NativeInstance.create(prepared.module, prepared.shape, { memoryBytes: MEMORY_BYTES });
  } catch (error) {
    caught = error;
  }
  assert(caught instanceof GuestFault && caught.kind === "timeout", `expected a timeout, got ${caught}`);
});
