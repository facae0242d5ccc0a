/**
 * Abbreviated keys ("heads") for fast binary search in decoded pages.
 *
 * All keys of a sorted node share the common prefix of its first and last key. A key's head packs the
 * HEAD_BYTES bytes after that prefix into one float64 (radix 257: byte + 1, or 0 past the key's end), so
 * comparing heads as numbers orders keys exactly as memcmp does whenever the heads differ. Only equal
 * heads need a byte comparison. Searching then costs one prefix comparison per node plus a few number
 * comparisons, instead of a byte loop over the shared prefix at every probe.
 *
 * Invariant: for keys a, b sharing the prefix, head(a) < head(b) implies a < b (257^6 < 2^53, exact).
 */

/** Key bytes packed into a head. */
export const HEAD_BYTES = 6;
const RADIX = 257;

/** The head of the `length`-byte key at `offset` in `buf`, skipping its first `skip` bytes. */
export function headAt(buf: Uint8Array, offset: number, length: number, skip: number): number {
  let head = 0;
  for (let j = 0; j < HEAD_BYTES; j++) {
    const p = skip + j;
    head = head * RADIX + (p < length ? buf[offset + p] + 1 : 0);
  }
  return head;
}

/** Length of the common prefix of two keys given as slices of `buf`. */
export function commonPrefixAt(
  buf: Uint8Array,
  a: number,
  aLength: number,
  b: number,
  bLength: number,
): number {
  const n = aLength < bLength ? aLength : bLength;
  let p = 0;
  while (p < n && buf[a + p] === buf[b + p]) p++;
  return p;
}

/**
 * Compares `key` with a node's shared prefix (the first `prefixLength` bytes at `offset` in `buf`).
 * @returns -1 when key sorts before every key with that prefix, 1 after every one, 0 when it has it
 */
export function comparePrefix(
  key: Uint8Array,
  buf: Uint8Array,
  offset: number,
  prefixLength: number,
): number {
  const n = key.length < prefixLength ? key.length : prefixLength;
  for (let j = 0; j < n; j++) {
    const d = key[j] - buf[offset + j];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return key.length < prefixLength ? -1 : 0;
}

/** Sign of `key - slice`, comparing from byte `from` on (earlier bytes are known equal). */
export function compareFrom(
  key: Uint8Array,
  buf: Uint8Array,
  offset: number,
  length: number,
  from: number,
): number {
  const n = key.length < length ? key.length : length;
  for (let i = from; i < n; i++) {
    const d = key[i] - buf[offset + i];
    if (d !== 0) return d;
  }
  return key.length - length;
}
