/**
 * Wire frames (docs/wire-protocol.md): `u32 little-endian length` of the BSON document that
 * follows (the 4 prefix bytes are not counted), then that BSON document. The prefix must equal the
 * document's own int32 length. The one implementation: the server (host/wire/) and the client
 * (client/wire_transport.ts) both frame with it, each with its own limit.
 *
 * Invariants: a FrameReader never buffers more than one maximal frame plus one read chunk; a frame
 * over the limit is rejected from its prefix alone, before its body is read; frames handed out are
 * fresh copies (decoded values may keep views into them, so the read buffer is never shared).
 */
// An entry point (mod.ts, client/mod.ts, engine/mod.ts) imported from another project has no import map
// of ours, so the npm package is named in full here (deno.json maps "bson" to the same version).
// deno-lint-ignore no-import-prefix
import { BSON } from "npm:bson@7.3.4";
import { DECODE_OPTIONS } from "./bson_options.ts";
import { PlanckError } from "./errors.ts";

/** Bytes of the length prefix. */
export const FRAME_PREFIX_BYTES = 4;
/** Smallest BSON document (an empty one): int32 length + terminating zero. */
export const BSON_DOCUMENT_BYTES_MIN = 5;
/** Bytes read from a socket at a time. */
export const READ_CHUNK_BYTES = 64 * 1024;
/** Largest read buffer kept while idle; past it the buffer shrinks back once empty. */
const READ_BUFFER_BYTES_KEPT = 1024 * 1024;
/** Size of bson's shared serialization buffer (17 MiB); larger frames grow it first. */
const BSON_BUFFER_BYTES_INITIAL = 17 * 1024 * 1024;
let bsonBufferBytes = BSON_BUFFER_BYTES_INITIAL;

/** Which side encodes: the server's responses or the client's requests (named in the error). */
export type FrameKind = "response" | "request";

/**
 * Encodes `doc` as one frame.
 * @throws PlanckError `limit_exceeded` when the document is larger than `frameBytesMax`
 */
export function encodeFrame(
  doc: Record<string, unknown>,
  frameBytesMax: number,
  kind: FrameKind = "response",
): Uint8Array {
  const size = BSON.calculateObjectSize(doc);
  if (size > frameBytesMax) {
    const advice = kind === "response"
      ? "narrow the query or page with limit"
      : "the server takes no larger frame: split the request or pass large values in smaller documents";
    throw new PlanckError(
      "limit_exceeded",
      `${kind === "response" ? "Response" : "Request"} too large: ${size} bytes ` +
        `(the limit frame_bytes is ${frameBytesMax}); ${advice}`,
      { limit: "frame_bytes" },
    );
  }
  if (size > bsonBufferBytes) {
    BSON.setInternalBufferSize(size);
    bsonBufferBytes = size;
  }
  const frame = new Uint8Array(FRAME_PREFIX_BYTES + size);
  BSON.serializeWithBufferAndIndex(doc, frame, { index: FRAME_PREFIX_BYTES });
  new DataView(frame.buffer).setUint32(0, size, true);
  return frame;
}

/** Decodes one frame body (as returned by FrameReader.next). @throws PlanckError `invalid_argument` */
export function decodeFrame(body: Uint8Array): Record<string, unknown> {
  try {
    return BSON.deserialize(body, DECODE_OPTIONS);
  } catch (error) {
    throw new PlanckError("invalid_argument", `Malformed frame: invalid BSON (${(error as Error).message})`);
  }
}

/** Splits a byte stream into frame bodies. */
export class FrameReader {
  #frameBytesMax: number;
  #limitName: string;
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;

  /** `limitName` is the limit named in the error of a frame over `frameBytesMax`. */
  constructor(frameBytesMax: number, limitName = "frame_bytes") {
    this.#frameBytesMax = frameBytesMax;
    this.#limitName = limitName;
    this.#buffer = new Uint8Array(READ_CHUNK_BYTES * 2);
  }

  /** Changes the limit checked against the next frame's prefix (e.g. once a session authenticated). */
  setLimit(frameBytesMax: number, limitName: string): void {
    this.#frameBytesMax = frameBytesMax;
    this.#limitName = limitName;
  }

  /**
   * Space to read into: at least READ_CHUNK_BYTES free bytes, or exactly the rest of a large frame
   * whose prefix is in (it is read into a buffer of its own size, handed out without a copy by
   * `next`). Call `commit` with the count read.
   */
  writable(): Uint8Array {
    if (this.#buffer.length - this.#end < READ_CHUNK_BYTES) {
      const pending = this.#end - this.#start;
      const whole = this.#largeFrameBytes();
      if (whole > pending) {
        if (this.#start > 0 || this.#buffer.length !== whole) {
          const own = new Uint8Array(whole);
          own.set(this.#buffer.subarray(this.#start, this.#end));
          this.#buffer = own;
          this.#start = 0;
          this.#end = pending;
        }
        return this.#buffer.subarray(this.#end);
      }
      const needed = pending + READ_CHUNK_BYTES;
      if (needed > this.#buffer.length) {
        const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      } else {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      }
      this.#start = 0;
      this.#end = pending;
    }
    return this.#buffer.subarray(this.#end);
  }

  /** Records that `count` bytes were read into the last `writable()` span. */
  commit(count: number): void {
    this.#end += count;
  }

  /** Appends bytes (tests and callers that do not read into `writable()`). */
  push(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      const target = this.writable();
      const n = Math.min(target.length, bytes.length - offset);
      target.set(bytes.subarray(offset, offset + n));
      this.commit(n);
      offset += n;
    }
  }

  /**
   * Prefix plus body of the frame starting at the read position when it is larger than the buffer
   * kept while idle and within the limit (`next` rejects the others), else 0.
   */
  #largeFrameBytes(): number {
    if (this.#end - this.#start < FRAME_PREFIX_BYTES) return 0;
    const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset + this.#start).getUint32(
      0,
      true,
    );
    const whole = FRAME_PREFIX_BYTES + length;
    return length <= this.#frameBytesMax && whole > READ_BUFFER_BYTES_KEPT ? whole : 0;
  }

  /** Empties the buffer, giving back the memory a large frame made it grow to. */
  #reset(): void {
    this.#start = this.#end = 0;
    if (this.#buffer.length > READ_BUFFER_BYTES_KEPT) this.#buffer = new Uint8Array(READ_CHUNK_BYTES * 2);
  }

  /** Up to the first four buffered bytes (what a frame's prefix would be), without consuming them. */
  head(): Uint8Array {
    return this.#buffer.slice(this.#start, Math.min(this.#end, this.#start + FRAME_PREFIX_BYTES));
  }

  /** Bytes buffered but not yet returned as frames. */
  get pendingBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * The next complete frame body (a fresh copy), or null when more bytes are needed.
   * @throws PlanckError `limit_exceeded` (frame over the limit) or `invalid_argument` (malformed prefix)
   */
  next(): Uint8Array | null {
    const available = this.#end - this.#start;
    if (available < FRAME_PREFIX_BYTES) return null;
    const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset + this.#start);
    const length = view.getUint32(0, true);
    if (length > this.#frameBytesMax) {
      throw new PlanckError(
        "limit_exceeded",
        `Frame too large: ${length} bytes (the limit ${this.#limitName} is ${this.#frameBytesMax})`,
        { limit: this.#limitName },
      );
    }
    if (length < BSON_DOCUMENT_BYTES_MIN) {
      throw new PlanckError(
        "invalid_argument",
        `Malformed frame: length ${length} is below ${BSON_DOCUMENT_BYTES_MIN}`,
      );
    }
    if (available < FRAME_PREFIX_BYTES + length) return null;
    const bodyStart = this.#start + FRAME_PREFIX_BYTES;
    let body: Uint8Array;
    if (this.#start === 0 && this.#end === this.#buffer.length && FRAME_PREFIX_BYTES + length === this.#end) {
      body = this.#buffer.subarray(bodyStart); // a large frame's own buffer (writable): no copy
      this.#buffer = new Uint8Array(READ_CHUNK_BYTES * 2);
      this.#start = this.#end = 0;
    } else {
      body = this.#buffer.slice(bodyStart, bodyStart + length);
      this.#start = bodyStart + length;
      if (this.#start === this.#end) this.#reset();
    }
    const declared = new DataView(body.buffer, body.byteOffset).getInt32(0, true);
    if (declared !== length || body[length - 1] !== 0) {
      throw new PlanckError(
        "invalid_argument",
        `Malformed frame: prefix says ${length} bytes but the BSON document says ${declared}`,
      );
    }
    return body;
  }
}
