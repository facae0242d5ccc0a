/**
 * Host calls for AssemblyScript services: `hostRequest` sends one BSON document to the host and
 * returns the reply's bytes; `log`, `nowMs`, `randomBytes` and `randomHex` wrap the other imports.
 *
 * Replies land in one reusable scratch buffer; a larger reply is held by the host and fetched
 * with `take` into a buffer of its exact size, so a call is never executed twice.
 *
 * Invariants: the bytes `hostRequest` returns are the caller's own (copied out of the scratch
 * buffer), so they stay valid across later calls; a negative result from the host (the request
 * was not a BSON document) is a bug in the SDK and aborts.
 */
import { log as hostLog, now_ms, random, request, take } from "./planck";

/** Bytes of the reusable reply buffer (typical replies are a few hundred bytes). */
const SCRATCH_BYTES = 16 * 1024;
/** Most random bytes the host fills in one call (docs/wasm-abi.md). */
const RANDOM_BYTES_MAX = 4096;

export const LOG_DEBUG = 0;
export const LOG_INFO = 1;
export const LOG_WARN = 2;
export const LOG_ERROR = 3;

const scratch = new Uint8Array(SCRATCH_BYTES);

/** Sends one host-call document (BSON) and returns the reply document's bytes. */
export function hostRequest(doc: Uint8Array): Uint8Array {
  const n = request(doc.dataStart, doc.length, scratch.dataStart, scratch.length);
  if (n < 0) abort("planck.request refused the call (" + n.toString() + "): not a BSON document");
  const out = new Uint8Array(n);
  if (n <= scratch.length) {
    memory.copy(out.dataStart, scratch.dataStart, <usize> n);
  } else if (take(out.dataStart) != n) {
    abort("planck.take did not return the held reply");
  }
  return out;
}

/** Writes one log line (level LOG_DEBUG … LOG_ERROR); the host keeps at most 100 per request. */
export function log(message: string, level: i32 = LOG_INFO): void {
  const n = String.UTF8.byteLength(message);
  const bytes = n <= scratch.length ? scratch : new Uint8Array(n);
  String.UTF8.encodeUnsafe(changetype<usize>(message), message.length, bytes.dataStart);
  hostLog(level, bytes.dataStart, n);
}

/** Wall-clock time in ms since the epoch. */
export function nowMs(): f64 {
  return now_ms();
}

/** `n` bytes from the host's CSPRNG. */
export function randomBytes(n: i32): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += RANDOM_BYTES_MAX) {
    const chunk = n - at < RANDOM_BYTES_MAX ? n - at : RANDOM_BYTES_MAX;
    random(out.dataStart + <usize> at, chunk);
  }
  return out;
}

const HEX = "0123456789abcdef";

/** `n` random bytes as 2n lower-case hex digits. */
export function randomHex(n: i32 = 16): string {
  return toHex(randomBytes(n));
}

/** Bytes as lower-case hex digits. */
export function toHex(bytes: Uint8Array): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = <i32> bytes[i];
    unchecked(parts[i] = HEX.charAt(b >> 4) + HEX.charAt(b & 15));
  }
  return parts.join("");
}
