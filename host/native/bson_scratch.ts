/**
 * BSON encoding into one reused scratch buffer, for the documents that cross into a native guest
 * (requests, host-call replies): `BSON.serialize` allocates a fresh buffer per call, which showed
 * as a few per cent of a native request's CPU.
 *
 * Invariants: the returned view is valid only until the next `encodeScratch` call — callers copy
 * it (into guest memory, or with `slice`) before anything else can encode; a document too large
 * for the scratch falls back to `BSON.serialize`.
 */
import { BSON, type SerializeOptions } from "bson";

/** Size of the scratch buffer; larger documents get their own buffer. */
export const SCRATCH_BYTES = 1024 * 1024;

const scratch = new Uint8Array(SCRATCH_BYTES);

/** `doc` as BSON: a view into the shared scratch (copy it before the next call). */
export function encodeScratch(doc: Record<string, unknown>, options?: SerializeOptions): Uint8Array {
  let end: number;
  try {
    end = BSON.serializeWithBufferAndIndex(doc, scratch, options);
  } catch (error) {
    if (!(error instanceof RangeError) && !/buffer|space|size/i.test((error as Error).message)) throw error;
    return BSON.serialize(doc, options);
  }
  return scratch.subarray(0, end + 1);
}
