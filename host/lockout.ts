/**
 * Failed-login lockout: per subject, after `failures` failed logins every further attempt is
 * refused for base × 2^(extra failures) ms, capped at `maxMs`. Logins use one subject per user
 * name and remote address (`loginSubjects`), so wrong keys sent from one address never lock that
 * user out at another address.
 *
 * Invariants: at most LOCKOUT_ENTRIES_MAX subjects are tracked (the least recently failed are
 * evicted first); attempts refused while locked are not verified and do not extend the lockout; a
 * subject whose last failure is older than `maxMs` starts again from zero.
 */
import { LOCKOUT_ENTRIES_MAX } from "./limits.ts";

/** Longest user name kept in a subject (longer names are cut: they fail anyway). */
const SUBJECT_NAME_CHARS_MAX = 128;

/** The lockout subjects of a login of `user` from `remote`: the (user, address) pair. */
export function loginSubjects(user: string, remote: string): string[] {
  return [`login:${user.slice(0, SUBJECT_NAME_CHARS_MAX)}@${remote}`];
}

/** Options of a Lockout. */
export interface LockoutOptions {
  /** Failures before the first lockout. */
  failures: number;
  /** First lockout, in milliseconds. */
  baseMs: number;
  /** Longest lockout, in milliseconds. */
  maxMs: number;
  /** Clock (tests inject one). */
  now?: () => number;
}

interface Entry {
  failures: number;
  lastFailureMs: number;
  lockedUntilMs: number;
}

/** Tracks failed logins and lockouts. */
export class Lockout {
  readonly #options: LockoutOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: LockoutOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until every subject may try again (0 when none is locked). */
  lockedForMs(subjects: readonly string[]): number {
    const now = this.#now();
    let longest = 0;
    for (const subject of subjects) {
      const entry = this.#entries.get(subject);
      if (entry !== undefined) longest = Math.max(longest, entry.lockedUntilMs - now);
    }
    return longest;
  }

  /** Records a failed login of every subject. */
  fail(subjects: readonly string[]): void {
    const now = this.#now();
    for (const subject of subjects) {
      let entry = this.#entries.get(subject);
      if (entry === undefined || now - entry.lastFailureMs > this.#options.maxMs) {
        entry = { failures: 0, lastFailureMs: now, lockedUntilMs: 0 };
      }
      this.#entries.delete(subject); // re-insert: the map's order is least recently failed first
      entry.failures++;
      entry.lastFailureMs = now;
      const extra = entry.failures - this.#options.failures;
      if (extra >= 0) {
        const ms = Math.min(this.#options.maxMs, this.#options.baseMs * 2 ** Math.min(extra, 40));
        entry.lockedUntilMs = now + ms;
      }
      this.#entries.set(subject, entry);
    }
    while (this.#entries.size > LOCKOUT_ENTRIES_MAX) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }

  /** Forgets the failures of every subject (after a successful login). */
  succeed(subjects: readonly string[]): void {
    for (const subject of subjects) this.#entries.delete(subject);
  }

  /** Subjects tracked (for stats). */
  get size(): number {
    return this.#entries.size;
  }
}
