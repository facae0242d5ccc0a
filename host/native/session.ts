/**
 * The host side of one native instance's imports (docs/wasm-abi.md, "Native tier"): the capped
 * linear memory, the state of the request being handled (host call function, deadline, log lines,
 * held reply), and the functions the module imports — host calls (`planck.request`/`take`), log,
 * clock, CSPRNG, AssemblyScript's abort/trace/seed, and the fuel refill.
 *
 * Invariants: a host call runs at most once (a reply too large for the guest's buffer is held for
 * `take`, never recomputed); every guest pointer is bounds-checked before use; views of linear
 * memory are re-created whenever `memory.buffer` changes (growing detaches the old buffer); no
 * import calls back into the guest.
 */
import { BSON } from "bson";
import { DECODE_OPTIONS } from "../../protocol/bson_options.ts";
import { decodeFast } from "./bson_fast.ts";
import { encodeScratch } from "./bson_scratch.ts";
import { assert } from "../../engine/assert.ts";
import { GuestFault, type HostCall, RAW_REPLY } from "../guest/guest.ts";
import { GuestSlice, suspending } from "../guest/guest_slice.ts";
import {
  ERROR_BAD_REQUEST,
  ERROR_NO_REPLY,
  FUEL_SLICE,
  GUEST_STRING_BYTES_MAX,
  LOG_LEVELS,
  LOG_LINE_BYTES_MAX,
  LOG_LINES_MAX,
  RANDOM_BYTES_MAX,
} from "./core_abi.ts";

/** Decoding of replies (responses, describe): binary as bytes, int64 as a number when it fits. */
const RESULT_FAST = { bigInt64: false, bytes: true } as const;
/** The same for responses: a string body stays UTF-8 bytes (host/native/bson_fast.ts, Utf8Body). */
const RESPONSE_FAST = { ...RESULT_FAST, utf8Body: true } as const;
/**
 * An insert's documents stay BSON: each is a view of the call's own bytes (copied out of guest
 * memory), stored as it is after the engine checks it (engine/query/validate.ts, insertedAt), not
 * decoded here and encoded again.
 */
const INSERT_OPTIONS = { ...DECODE_OPTIONS, fieldsAsRaw: { documents: true } };
/** A host call's first element when it is an insert, as the SDK writes it: string "op" = "insert". */
const INSERT_HEAD = new Uint8Array([
  0x02,
  0x6f,
  0x70,
  0x00,
  0x07,
  0x00,
  0x00,
  0x00,
  ...new TextEncoder().encode("insert"),
  0,
]);

/** True when the BSON call at `ptr` begins with `op: "insert"` (its documents may then stay BSON). */
function startsInsert(bytes: Uint8Array, ptr: number, len: number): boolean {
  if (len < 4 + INSERT_HEAD.length) return false;
  for (let i = 0; i < INSERT_HEAD.length; i++) if (bytes[ptr + 4 + i] !== INSERT_HEAD[i]) return false;
  return true;
}

const NO_HOST_REPLY = { ok: false, error: { code: "internal", message: "No host calls outside a request" } };
const UTF16 = new TextDecoder("utf-16le");
const UTF8 = new TextDecoder();

/**
 * The host's reply as BSON (a scratch view: used before the next encode); a reply that cannot be
 * encoded becomes an `internal` error reply.
 */
function encodeReply(reply: Record<string, unknown>): Uint8Array {
  try {
    return encodeScratch(reply, { ignoreUndefined: true });
  } catch (error) {
    const message = `Cannot encode the host's reply as BSON: ${(error as Error).message}`;
    return BSON.serialize({ ok: false, error: { code: "internal", message } });
  }
}

/**
 * An AssemblyScript string in `memory` (UTF-16LE, its byte length in the u32 before it), cut to
 * GUEST_STRING_BYTES_MAX; a pointer outside memory reads as `<string at N>`.
 */
export function readGuestString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  const size = memory.buffer.byteLength;
  if (ptr < 4 || ptr > size) return `<string at ${ptr}>`;
  const bytes = Math.min(new DataView(memory.buffer).getUint32(ptr - 4, true), GUEST_STRING_BYTES_MAX);
  if (ptr + bytes > size) return `<string at ${ptr}>`;
  return UTF16.decode(new Uint8Array(memory.buffer, ptr, bytes & ~1));
}

/** A CSPRNG seed for AssemblyScript's Math.random: a non-zero integer below 2^53. */
function seed(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high & 0x1fffff) * 2 ** 32 + low || 1;
}

/** The linear memory and per-request state the imports work on. */
export class NativeSession {
  readonly memory: WebAssembly.Memory;
  readonly memoryBytesMax: number;
  /** The module's fuel counter (set once instantiated). */
  fuel: WebAssembly.Global | undefined;
  /** The slice clock the fuel refill polls (guest_slice.ts). */
  readonly slice = new GuestSlice();
  #view = new Uint8Array(0);
  #host: HostCall | undefined;
  #deadlineMs = 0;
  #logLines = 0;
  #held: Uint8Array | undefined;

  constructor(memory: WebAssembly.Memory, memoryBytesMax: number) {
    this.memory = memory;
    this.memoryBytesMax = memoryBytesMax;
  }

  begin(host: HostCall | undefined, deadlineMs: number, fuel: number): void {
    assert(this.fuel !== undefined, "the session has a fuel counter once instantiated");
    this.#host = host;
    this.#deadlineMs = deadlineMs;
    this.#logLines = 0;
    this.#held = undefined;
    this.fuel.value = fuel;
    this.slice.restart();
  }

  end(): void {
    this.#host = undefined;
    this.#held = undefined;
  }

  /** A view of linear memory, re-created after a grow detached the previous buffer. */
  #bytes(): Uint8Array {
    if (this.#view.buffer !== this.memory.buffer) {
      this.#view = new Uint8Array(this.memory.buffer as ArrayBuffer);
    }
    return this.#view;
  }

  /** Checks that `len` bytes from `ptr`, a buffer the guest returned from `from`, lie in memory. @throws GuestFault `throw` */
  checkBuffer(ptr: number, len: number, from: string): void {
    if (!this.#inBounds(ptr, len)) {
      throw new GuestFault("throw", `${from} returned ${ptr}: ${len} bytes from there lie outside memory`);
    }
  }

  /** True when `len` bytes from `ptr` (both unsigned) lie inside linear memory. */
  #inBounds(ptr: number, len: number): boolean {
    return ptr + len <= this.memory.buffer.byteLength;
  }

  /** Copies `bytes` to `ptr`, a buffer the guest returned from `from`. @throws GuestFault `throw` */
  write(ptr: number, bytes: Uint8Array, from: string): void {
    if (!this.#inBounds(ptr, bytes.length)) {
      throw new GuestFault(
        "throw",
        `${from} returned ${ptr}: ${bytes.length} bytes from there lie outside memory`,
      );
    }
    this.#bytes().set(bytes, ptr);
  }

  /**
   * The BSON document that `[ptr u32, len u32]` at `at` points to, decoded (binary as bytes, int64
   * as a number when it fits; with `utf8Body`, a top-level string "body" as a Utf8Body).
   * @throws GuestFault `throw`
   */
  readResult(at: number, options: { utf8Body: boolean } = { utf8Body: false }): Record<string, unknown> {
    if (!this.#inBounds(at, 8)) throw new GuestFault("throw", `The guest returned ${at}, outside memory`);
    const view = new DataView(this.memory.buffer);
    const ptr = view.getUint32(at, true);
    const len = view.getUint32(at + 4, true);
    if (!this.#inBounds(ptr, len)) {
      throw new GuestFault("throw", `The guest's reply (${len} bytes at ${ptr}) lies outside memory`);
    }
    const fast = decodeFast(this.#bytes(), ptr, len, options.utf8Body ? RESPONSE_FAST : RESULT_FAST);
    if (fast !== undefined) return fast;
    try {
      return BSON.deserialize(this.#bytes().slice(ptr, ptr + len), { promoteBuffers: true });
    } catch (error) {
      throw new GuestFault("throw", `The guest's reply is not a BSON document: ${(error as Error).message}`);
    }
  }

  #guestString(ptr: number): string {
    return readGuestString(this.memory, ptr);
  }

  #log(level: string, message: string): void {
    if (this.#logLines++ >= LOG_LINES_MAX || this.#host === undefined) return;
    this.#host({ op: "log", level, message });
  }

  #request(reqPtr: number, reqLen: number, dstPtr: number, dstCap: number): number {
    if (!this.#inBounds(reqPtr, reqLen) || !this.#inBounds(dstPtr, dstCap)) return ERROR_BAD_REQUEST;
    // The bson package decodes these small documents as fast as bson_fast.ts does (measured).
    let call: Record<string, unknown>;
    try {
      const bytes = this.#bytes();
      const options = startsInsert(bytes, reqPtr, reqLen) ? INSERT_OPTIONS : DECODE_OPTIONS;
      call = BSON.deserialize(bytes.slice(reqPtr, reqPtr + reqLen), options);
    } catch {
      return ERROR_BAD_REQUEST;
    }
    const answer = this.#host === undefined ? NO_HOST_REPLY : this.#host(call, "bson");
    const reply = (answer as { [RAW_REPLY]?: Uint8Array })[RAW_REPLY] ?? encodeReply(answer);
    this.#held = undefined;
    if (reply.length > dstCap) this.#held = reply.slice(); // never re-run the call: hold the reply for take
    else this.#bytes().set(reply, dstPtr);
    return reply.length;
  }

  #take(dstPtr: number): number {
    const held = this.#held;
    if (held === undefined) return ERROR_NO_REPLY;
    if (!this.#inBounds(dstPtr, held.length)) return ERROR_BAD_REQUEST;
    this.#bytes().set(held, dstPtr);
    this.#held = undefined;
    return held.length;
  }

  #random(ptr: number, len: number): void {
    if (len > RANDOM_BYTES_MAX || !this.#inBounds(ptr, len)) {
      throw new GuestFault(
        "trap",
        `planck.random(${ptr}, ${len}): at most ${RANDOM_BYTES_MAX} bytes inside memory`,
      );
    }
    crypto.getRandomValues(this.#bytes().subarray(ptr, ptr + len));
  }

  /** Refills a fuel slice until the deadline; past GUEST_SLICE_MS of running, after a yield. */
  #outOfFuel(): void | Promise<void> {
    if (this.fuel === undefined) {
      throw new GuestFault("timeout", "The module's start function ran out of fuel");
    }
    if (Date.now() >= this.#deadlineMs) throw new GuestFault("timeout", "The guest ran past its deadline");
    this.fuel.value = FUEL_SLICE;
    return this.slice.poll(undefined);
  }

  /** The imports object: every allowed import plus the host's fuel refill. */
  imports(): WebAssembly.Imports {
    const u = (n: number) => n >>> 0;
    return {
      env: {
        memory: this.memory,
        abort: (msg: number, file: number, line: number, column: number) => {
          const where = `${this.#guestString(u(file))}:${line}:${column}`;
          throw new GuestFault("trap", `abort: ${this.#guestString(u(msg))} at ${where}`);
        },
        trace: (msg: number, n: number, ...args: number[]) => {
          const values = args.slice(0, Math.max(0, Math.min(n, args.length)));
          this.#log(
            "debug",
            `trace: ${this.#guestString(u(msg))}${values.length ? ` ${values.join(", ")}` : ""}`,
          );
        },
        seed,
      },
      planck: {
        request: (r: number, rl: number, d: number, dc: number) => this.#request(u(r), u(rl), u(d), u(dc)),
        take: (d: number) => this.#take(u(d)),
        log: (level: number, ptr: number, len: number) => {
          if (!this.#inBounds(u(ptr), u(len))) {
            throw new GuestFault("trap", `planck.log: ${u(len)} bytes at ${u(ptr)} lie outside memory`);
          }
          const text = UTF8.decode(
            this.#bytes().subarray(u(ptr), u(ptr) + Math.min(u(len), LOG_LINE_BYTES_MAX)),
          );
          this.#log(LOG_LEVELS[level] ?? "info", text);
        },
        now_ms: () => Date.now(),
        random: (ptr: number, len: number) => this.#random(u(ptr), u(len)),
        out_of_fuel: suspending(() => this.#outOfFuel()),
      },
    };
  }
}
