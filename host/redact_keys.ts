/**
 * Redaction of user keys from text that leaves the server (error answers) or enters its log: a key
 * is 32 random bytes in base64url, 43 characters of `[A-Za-z0-9_-]` (host/key_hash.ts). A caller
 * that puts a key in the wrong field (a store name, a document key, a user name) would otherwise
 * get it echoed back in the error, where client logs and screens keep it.
 *
 * Invariants: every run of exactly 43 base64url characters holding at least two of upper-case
 * letters, lower-case letters and digits is replaced (a random key holds only one kind with
 * probability below 1e-16); shorter and longer runs, and runs of one kind (`aaaa…`), are left alone.
 */

/** Characters of a key in base64url. */
const KEY_CHARS = 43;
const KEY_RUN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;

/** What a redacted key reads as. */
export const REDACTED_KEY = "<redacted key>";

/** `text` with every key-shaped run replaced by REDACTED_KEY. */
export function redactKeyShapes(text: string): string {
  if (text.length < KEY_CHARS) return text;
  return text.replace(KEY_RUN, (run) => {
    const kinds = Number(/[A-Z]/.test(run)) + Number(/[a-z]/.test(run)) + Number(/[0-9]/.test(run));
    return kinds >= 2 ? REDACTED_KEY : run;
  });
}
