/**
 * The items data set both HTTP targets serve (copied from the seed HTTP peer's data set, the
 * peer harness's orders): deterministic (seeded), so Planck and the peer see the same keys and
 * documents.
 *
 * Files written under the data directory by {@link ensureDataset}:
 * - `orders-<n>.jsonl` one order a line: `{"id":"<32 hex>","user":…,"status":…,"amount":…,
 *   "created":…,"tags":[…],"note":…}` (~300 B of JSON besides the id) — what each target loads;
 * - `ids-<n>.txt` one id a line — what wrk picks GET keys from.
 *
 * Invariants: the same `n` and seed give byte-identical files; ids are 32 lowercase hex digits
 * (a u128 key for Planck, the primary key for SQLite).
 *
 * @module
 */

export const STATUSES = ["open", "paid", "shipped", "cancelled", "refunded"] as const;
export type Status = typeof STATUSES[number];

/** One order document (the `doc` column of the SQLite peer; `id` lives beside it). */
export interface Order {
  user: string;
  status: Status;
  amount: number;
  created: number;
  tags: string[];
  note: string;
}

/** Small seeded PRNG (mulberry32): same seed, same data set on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Niklaus"];
// A few names carry HTML-special characters so the HTML routes exercise escaping.
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "O'Neil",
  "Liskov",
  "Knuth",
  "Allen & Co",
  "Thompson",
  "<Perlman>",
  "Wirth",
];
const TAGS = ["gift", "express", "fragile", "bulk", "b2b", "promo", "returning", "intl"];
const WORDS = ("please leave the parcel at the side door and ring twice before noon thanks " +
  "invoice attached to the box call on arrival weekend delivery only").split(" ");

/** A u128 as 32 lowercase hex digits. */
export function hexId(r: () => number): string {
  let s = "";
  for (let i = 0; i < 4; i++) s += Math.floor(r() * 4294967296).toString(16).padStart(8, "0");
  return s;
}

/** One random order; `now` fixes the upper end of `created` (ms since epoch). */
export function makeOrder(r: () => number, now = Date.UTC(2026, 0, 1)): Order {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const tags: string[] = [];
  const nTags = 1 + Math.floor(r() * 4);
  while (tags.length < nTags) {
    const t = pick(TAGS);
    if (!tags.includes(t)) tags.push(t);
  }
  let note = "";
  while (note.length < 168) note += (note ? " " : "") + pick(WORDS);
  return {
    user: `${pick(FIRST)} ${pick(LAST)} #${Math.floor(r() * 100000)}`,
    status: pick(STATUSES),
    amount: Math.round(r() * 50000) / 100,
    created: now - Math.floor(r() * 365 * 86400_000),
    tags,
    note,
  };
}

export interface DatasetFiles {
  n: number;
  jsonl: string;
  ids: string;
}

/** Writes the data set files once (kept between runs); returns their paths. */
export async function ensureDataset(dir: string, n: number, seed = 42): Promise<DatasetFiles> {
  const files = { n, jsonl: `${dir}/orders-${n}.jsonl`, ids: `${dir}/ids-${n}.txt` };
  try {
    if ((await Deno.stat(files.jsonl)).isFile && (await Deno.stat(files.ids)).isFile) return files;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dir, { recursive: true });
  const r = rng(seed);
  const lines: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = hexId(r);
    ids.push(id);
    lines.push(JSON.stringify({ id, ...makeOrder(r) }));
  }
  await Deno.writeTextFile(files.jsonl + ".tmp", lines.join("\n") + "\n");
  await Deno.writeTextFile(files.ids + ".tmp", ids.join("\n") + "\n");
  await Deno.rename(files.jsonl + ".tmp", files.jsonl);
  await Deno.rename(files.ids + ".tmp", files.ids);
  return files;
}
