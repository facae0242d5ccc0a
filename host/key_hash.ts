/**
 * User keys and their stored hashes. A key is 32 random bytes written as base64url (43 chars); only
 * a slow scrypt hash is stored, as `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 *
 * Invariants: keys never leave this module except to the caller that created them; comparison is
 * constant-time; hashing runs on the thread pool (node:crypto's async scrypt), so logins never
 * block the event loop.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

/** scrypt cost: 2^14 × 8 × 128 B = 16 MiB and tens of ms per hash (OWASP's minimum for scrypt). */
const SCRYPT_N = 16_384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_MAXMEM_BYTES = 64 * 1024 * 1024;
/** Bytes of salt and of derived hash. */
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bytes of randomness in a key. */
export const KEY_RANDOM_BYTES = 32;

/** A fresh random key (base64url, 43 characters). */
export function generateKey(): string {
  return randomBytes(KEY_RANDOM_BYTES).toString("base64url");
}

function derive(key: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(key, salt, HASH_BYTES, { N: n, r, p, maxmem: SCRYPT_MAXMEM_BYTES }, (error, hash) => {
      if (error) reject(error);
      else resolve(hash);
    });
  });
}

/** The stored form of `key`. */
export async function hashKey(key: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(key, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P);
  return ["scrypt", SCRYPT_N, SCRYPT_R, SCRYPT_P, salt.toString("base64url"), hash.toString("base64url")]
    .join("$");
}

/** True when `key` matches the stored hash (false for a malformed hash). */
export async function verifyKey(key: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
  const salt = Buffer.from(parts[4], "base64url");
  const expected = Buffer.from(parts[5], "base64url");
  const actual = await derive(key, salt, n, r, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A fast digest of `key` under `stored` (for the in-memory cache of keys already verified). */
export function fastDigest(key: string, stored: string): Buffer {
  return createHash("sha256").update(stored).update("\0").update(key).digest();
}

/** Constant-time equality of two digests. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The 16-byte store key of a user name (sha-256 prefix), as 32 hex digits. */
export function userDocumentKey(name: string): string {
  return createHash("sha256").update("planck-user\0").update(name).digest("hex").slice(0, 32);
}
