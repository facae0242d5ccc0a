/**
 * The query benchmark's contract: what every target (Planck, SQLite, LMDB) answers, and the
 * queries' shapes. Each target holds the same documents (bench/peers/lib/docs.ts) with indexes on
 * `status` and `amount`; `user` and `created` are not indexed anywhere.
 *
 * Invariants: every answer is the documents a user would get (decoded to JS objects, not raw
 * bytes), so the targets do the same work; range and top-K answers list the documents' keys in
 * result order (32 lowercase hex digits), so the run can check that the targets agree.
 */
import type { Item, Status } from "../peers/lib/peer.ts";

export type { Item, Status };

/** Q2: `amount >= low and amount < high` orderBy amount asc, limit RANGE_LIMIT. */
export const RANGE_LIMIT = 50;
/** Q2: width of the amount range (amounts are uniform in [0, 10000)): ~5% of the documents. */
export const RANGE_WIDTH = 500;
/** Q2: the largest amount in the generated documents (exclusive). */
export const AMOUNT_MAX = 10_000;
/** Q3: `user startsWith TOP_PREFIX` orderBy created desc, limit TOP_LIMIT (~22% of documents match). */
export const TOP_PREFIX = "user1";
export const TOP_LIMIT = 20;

/** One system under test, loaded once, then queried. */
export interface QueryTarget {
  readonly name: string;
  /** One line: version and settings, for the report. */
  readonly config: string;
  /** Opens a fresh store under `dir` with its indexes (status, amount). */
  open(dir: string): Promise<void>;
  /** Writes `items` (called with chunks), durable when it resolves. */
  load(items: readonly Item[]): Promise<void>;
  /** Brings the store to a steady state after loading (flush, checkpoint). */
  settle(): Promise<void>;
  /** Q1: how many documents have `status`. */
  count(status: Status): Promise<number>;
  /** W5 fetch: the documents with `status`, decoded; returns how many. */
  fetch(status: Status): Promise<number>;
  /** Q2: keys of the first RANGE_LIMIT documents with low <= amount < high, by amount then key. */
  range(low: number, high: number): Promise<string[]>;
  /** Q3: keys of the TOP_LIMIT newest documents whose user starts with TOP_PREFIX. */
  topK(): Promise<string[]>;
  /** Q4: Q2 written in PQL, parsed and run (Planck only). */
  pqlRange?(low: number, high: number): Promise<string[]>;
  close(): Promise<void>;
}

/** 32 lowercase hex digits of a 16-byte key. */
export function hexKey(key: Uint8Array): string {
  let s = "";
  for (const b of key) s += b.toString(16).padStart(2, "0");
  return s;
}
