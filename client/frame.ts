/**
 * Client side of wire framing (docs/wire-protocol.md): `u32 LE length` of the BSON document that
 * follows, then the document. The server has its own reader with its own limits
 * (host/wire/frame.ts); this one only needs to be correct and bounded. Imports nothing server-side.
 *
 * Invariants: a frame larger than the reader's limit is rejected from its prefix; returned bodies
 * are fresh copies.
 */
// An entry point (mod.ts, client/mod.ts, engine/mod.ts) imported from another project has no import map
// of ours, so the npm package is named in full here (deno.json maps "bson" to the same version).
// deno-lint-ignore no-import-prefix
import { BSON } from "npm:bson@7.3.4";
import { ClientError } from "./errors.ts";

const PREFIX_BYTES = 4;
const BSON_DOCUMENT_BYTES_MIN = 5;
/** bson's shared serialization buffer (17 MiB); larger requests grow it first. */
let bsonBufferBytes = 17 * 1024 * 1024;

/** Decoding options: int64 values stay exact as bigint (as the engine decodes them). */
export const DECODE_OPTIONS = { useBigInt64: true, promoteValues: true } as const;

/** Encodes one request frame. @throws ClientError `limit_exceeded` past `frameBytesMax` */
export function encodeRequest(doc: Record<string, unknown>, frameBytesMax: number): Uint8Array {
  const size = BSON.calculateObjectSize(doc);
  if (size > frameBytesMax) {
    throw new ClientError(
      "limit_exceeded",
      `Request too large: ${size} bytes (the client limit is ${frameBytesMax})`,
      {
        limit: "frame_bytes",
      },
    );
  }
  if (size > bsonBufferBytes) {
    BSON.setInternalBufferSize(size);
    bsonBufferBytes = size;
  }
  const frame = new Uint8Array(PREFIX_BYTES + size);
  BSON.serializeWithBufferAndIndex(doc, frame, { index: PREFIX_BYTES });
  new DataView(frame.buffer).setUint32(0, size, true);
  return frame;
}

/** The address answers, but not with the wire protocol (an HTTP or TLS port): retrying cannot help. */
export class WrongPortError extends ClientError {
  constructor(message: string) {
    super("unavailable", message);
  }
}

/** The wire port a server listens on unless configured otherwise. */
const WIRE_PORT_DEFAULT = 23469;

/** What a newcomer most likely did when the first bytes are not a frame: "" when nothing fits. */
export function hintFor(head: Uint8Array): string {
  const text = String.fromCharCode(...head.subarray(0, 4));
  if (text === "HTTP") {
    return `: this looks like an HTTP port (the app or workbench port), not the wire port; the wire port is ` +
      `${WIRE_PORT_DEFAULT} unless configured (see "planck: wire listening on …" at start, or data/admin.credentials)`;
  }
  if (head[0] === 0x15 && head[1] === 0x03) {
    return `: the server answered with a TLS alert, so this port speaks TLS: add ";tls=true" to the connection string`;
  }
  return "";
}

/** Splits received bytes into decoded documents. */
export class ResponseReader {
  readonly #frameBytesMax: number;
  #chunks: Uint8Array[] = [];
  #bytes = 0;

  constructor(frameBytesMax: number) {
    this.#frameBytesMax = frameBytesMax;
  }

  /** Adds received bytes (kept by reference: pass a buffer that is not reused). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
  }

  /** The next decoded response, or null when more bytes are needed. @throws ClientError */
  next(): Record<string, unknown> | null {
    if (this.#bytes < PREFIX_BYTES) return null;
    const head = this.#peek(PREFIX_BYTES);
    const length = new DataView(head.buffer, head.byteOffset).getUint32(0, true);
    if (length > this.#frameBytesMax || length < BSON_DOCUMENT_BYTES_MIN) {
      const hint = hintFor(head);
      if (hint !== "") throw new WrongPortError(`The server did not answer with the wire protocol${hint}`);
      throw new ClientError("invalid_argument", `Malformed response frame: length ${length}`);
    }
    if (this.#bytes < PREFIX_BYTES + length) return null;
    const frame = this.#take(PREFIX_BYTES + length);
    try {
      return BSON.deserialize(frame.subarray(PREFIX_BYTES), DECODE_OPTIONS);
    } catch (error) {
      throw new ClientError("invalid_argument", `Malformed response frame: ${(error as Error).message}`);
    }
  }

  /** A hint about unparsed bytes left when the connection ended ("" when none applies). */
  leftoverHint(): string {
    return this.#bytes < 2 ? "" : hintFor(this.#peek(Math.min(PREFIX_BYTES, this.#bytes)));
  }

  /** The first `n` buffered bytes, without consuming them. */
  #peek(n: number): Uint8Array {
    if (this.#chunks[0].length >= n) return this.#chunks[0];
    this.#chunks = [concat(this.#chunks, this.#bytes)];
    return this.#chunks[0];
  }

  /** Removes and returns the first `n` buffered bytes. */
  #take(n: number): Uint8Array {
    const first = this.#peek(n);
    const taken = first.slice(0, n);
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#bytes -= n;
    return taken;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
