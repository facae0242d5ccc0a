/**
 * A bump allocator for the small byte strings the B+tree hands to callers (values returned by get).
 *
 * Why: every `Uint8Array.prototype.slice` allocates its own ArrayBuffer, which costs hundreds of
 * nanoseconds plus garbage-collector work in Deno (measured: ~0.4-0.9 us, more than a whole lookup).
 * Copying into shared chunks and returning views costs tens of nanoseconds.
 *
 * Invariants: the bytes behind a returned view are never written again (a chunk only grows at its end),
 * so views are private copies; views never overlap; a chunk lives as long as any view of it.
 */

/** Default bytes per arena chunk. */
export const ARENA_CHUNK_BYTES_DEFAULT = 64 * 1024;

/** Copies byte strings into shared chunks and returns private views of the copies. */
export class ByteArena {
  readonly chunkBytes: number;
  #chunk: Uint8Array;
  #used = 0;

  /** @param chunkBytes size of each chunk; strings longer than 1/8 of it get their own buffer */
  constructor(chunkBytes: number = ARENA_CHUNK_BYTES_DEFAULT) {
    this.chunkBytes = chunkBytes;
    this.#chunk = new Uint8Array(chunkBytes);
  }

  /** A private copy of `bytes`. */
  copy(bytes: Uint8Array): Uint8Array {
    return this.copyFrom(bytes, 0, bytes.length);
  }

  /** A private copy of the `length` bytes at `offset` in `source`. */
  copyFrom(source: Uint8Array, offset: number, length: number): Uint8Array {
    if (length > this.chunkBytes >>> 3) return source.slice(offset, offset + length);
    if (this.#used + length > this.chunkBytes) {
      this.#chunk = new Uint8Array(this.chunkBytes);
      this.#used = 0;
    }
    const chunk = this.#chunk;
    const at = this.#used;
    if (length <= 32) { for (let i = 0; i < length; i++) chunk[at + i] = source[offset + i]; }
    else chunk.set(source.subarray(offset, offset + length), at);
    this.#used = at + length;
    return chunk.subarray(at, at + length);
  }
}
