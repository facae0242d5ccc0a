/**
 * Lower-case hexadecimal text of bytes: digests in ETags and cache keys, random ids, content hashes.
 * One encoder for every layer (engine/key.ts keeps its own table for 16-byte keys on the hot path).
 */

const DIGITS: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The bytes as lower-case hex, two digits each. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += DIGITS[byte];
  return out;
}
