/**
 * The document cache of the tiers: documents read from the value log, by their place in it, up to a
 * byte budget; the oldest entries leave first.
 *
 * Invariants: `bytes` is the sum of the cached documents' lengths and stays at or under the budget
 * after every `offer`; a document larger than a quarter of the budget is never cached.
 */
import { assert } from "../assert.ts";

/**
 * Default document cache size in bytes: off. Measured on the W3 store (200k random gets, 300-byte
 * documents): the 64 MiB value-log block cache serves warm reads as fast as the document cache
 * (601-623k vs 612-628k gets/s), and filling the document cache slowed cold reads by a third
 * (280-372k vs 426-454k gets/s: a Map entry and a retained view per document). `docCacheBytes`
 * turns it on for workloads that reread few documents from a log much larger than the block cache.
 */
export const DOC_CACHE_BYTES_DEFAULT = 0;

/** Documents by value-log place (segment × 2^32 + offset), bounded in bytes. */
export class DocCache {
  readonly #entries = new Map<number, Uint8Array>();
  readonly #bytesMax: number;
  #bytes = 0;

  constructor(bytesMax = DOC_CACHE_BYTES_DEFAULT) {
    this.#bytesMax = bytesMax;
  }

  /** Bytes of the documents held. */
  get bytes(): number {
    return this.#bytes;
  }

  get(place: number): Uint8Array | undefined {
    return this.#entries.get(place);
  }

  /** Keeps `value` if it fits the budget's quarter, evicting the oldest documents to stay in budget. */
  offer(place: number, value: Uint8Array): void {
    if (this.#bytesMax === 0 || value.length * 4 > this.#bytesMax) return;
    this.#entries.set(place, value);
    this.#bytes += value.length;
    for (const [oldest, bytes] of this.#entries) {
      if (this.#bytes <= this.#bytesMax) break;
      this.#entries.delete(oldest);
      this.#bytes -= bytes.length;
    }
    assert(this.#bytes <= this.#bytesMax, "doc cache: bytes within the budget after eviction");
  }
}
