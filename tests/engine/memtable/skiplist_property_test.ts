/**
 * Property test of SkipList against a sorted-array model: a seeded stream of set/get/entries
 * operations (≥ 50k) over a small key space so keys repeat, with the full structural check() after
 * every batch. Replay a failure with PLANCK_SEED=<seed>.
 */
import { assertEquals } from "../../_util/assert.ts";
import { seededRandom, testSeeds } from "../../_util/random.ts";
import { SkipList } from "../../../engine/memtable/skiplist.ts";

const OPS = 60_000;
const BATCH_OPS = 2_000;
const KEY_SPACE = 4_000;
/** Entries compared per range query (whole-map comparisons run once per batch). */
const RANGE_ROWS_MAX = 25;

/** A sorted array of keys plus their values: the obviously correct ordered map. */
class SortedModel {
  readonly keys: string[] = [];
  readonly values = new Map<string, number>();

  set(key: string, value: number): boolean {
    const fresh = !this.values.has(key);
    if (fresh) this.keys.splice(lowerBound(this.keys, key), 0, key);
    this.values.set(key, value);
    return fresh;
  }

  entries(from: string | undefined, to: string | undefined, reverse: boolean): [string, number][] {
    const start = from === undefined ? 0 : lowerBound(this.keys, from);
    const end = to === undefined ? this.keys.length : lowerBound(this.keys, to);
    const keys = this.keys.slice(start, Math.max(start, end));
    if (reverse) keys.reverse();
    return keys.map((key) => [key, this.values.get(key)!]);
  }
}

function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function keyOf(n: number): string {
  return n.toString(16).padStart(32, "0");
}

function take<T>(iterator: Iterator<T>, count: number): T[] {
  const out: T[] = [];
  for (let next = iterator.next(); !next.done && out.length < count; next = iterator.next()) {
    out.push(next.value);
  }
  return out;
}

/** Runs `body` with a seeded random source; failures name the seed. */
function withSeed(body: (random: () => number) => void): void {
  for (const seed of testSeeds()) {
    try {
      body(seededRandom(seed));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Property failed with PLANCK_SEED=${seed}: ${message}`, { cause: error });
    }
  }
}

for (const lookup of [false, true]) {
  const mode = lookup ? " (values looked up by the owner, as the memtable does)" : "";
  Deno.test(`SkipList matches a sorted-array model over 60k random set/add/get/entries operations${mode}`, () => {
    withSeed((random) => {
      const int = (n: number) => Math.floor(random() * n);
      const model = new SortedModel();
      const list = new SkipList<number>(int(2 ** 31), lookup ? (key) => model.values.get(key)! : undefined);
      const bound = () => random() < 0.2 ? undefined : keyOf(int(KEY_SPACE + 2));
      for (let op = 1; op <= OPS; op++) {
        const roll = random();
        if (roll < 0.3) {
          const key = keyOf(int(KEY_SPACE));
          assertEquals(list.set(key, op), model.set(key, op), `op ${op}: set("${key}") reports a new key`);
        } else if (roll < 0.5) {
          // add() takes only new keys: pending until the next read links them in one sorted pass.
          for (let burst = 1 + int(50); burst > 0; burst--) {
            const key = keyOf(int(KEY_SPACE));
            if (model.values.has(key)) continue;
            model.set(key, op);
            list.add(key, op);
          }
        } else if (roll < 0.8) {
          const key = keyOf(int(KEY_SPACE + 1));
          assertEquals(list.get(key), model.values.get(key), `op ${op}: get("${key}")`);
        } else {
          const [from, to, reverse] = [bound(), bound(), random() < 0.5];
          assertEquals(
            take(list.entries(from, to, reverse), RANGE_ROWS_MAX),
            model.entries(from, to, reverse).slice(0, RANGE_ROWS_MAX),
            `op ${op}: entries(${from}, ${to}, reverse=${reverse})`,
          );
        }
        if (op % BATCH_OPS === 0) {
          list.check();
          assertEquals(list.size, model.keys.length, `op ${op}: size`);
          assertEquals(
            [...list.entries()],
            model.entries(undefined, undefined, false),
            `op ${op}: all entries`,
          );
          assertEquals(
            [...list.entries(undefined, undefined, true)],
            model.entries(undefined, undefined, true),
          );
        }
      }
    });
  });
}

Deno.test("SkipList.entries stays ordered and complete while writes continue", () => {
  withSeed((random) => {
    const int = (n: number) => Math.floor(random() * n);
    const list = new SkipList<number>(int(2 ** 31));
    for (let i = 0; i < 2_000; i++) list.set(keyOf(int(KEY_SPACE) * 2), i);
    const before = [...list.entries()].map(([key]) => key);
    for (const reverse of [false, true]) {
      const seen: string[] = [];
      for (const [key] of list.entries(undefined, undefined, reverse)) {
        seen.push(key);
        // Insert odd keys (new nodes) while iterating: the walk must neither skip nor repeat.
        for (let j = 0; j < 3; j++) list.set(keyOf(int(KEY_SPACE) * 2 + 1), -1);
      }
      for (let i = 1; i < seen.length; i++) {
        assertEquals(reverse ? seen[i - 1] > seen[i] : seen[i - 1] < seen[i], true, `order at ${i}`);
      }
      const seenSet = new Set(seen);
      for (const key of before) {
        assertEquals(seenSet.has(key), true, `key "${key}" present at start is visited`);
      }
      list.check();
    }
  });
});

Deno.test("SkipList.entries with empty, inverted and out-of-range bounds yields nothing", () => {
  const list = new SkipList<number>();
  assertEquals([...list.entries()], []);
  assertEquals([...list.entries(undefined, undefined, true)], []);
  for (let i = 10; i < 20; i++) list.set(keyOf(i), i);
  for (const reverse of [false, true]) {
    assertEquals([...list.entries(keyOf(15), keyOf(15), reverse)], []);
    assertEquals([...list.entries(keyOf(17), keyOf(12), reverse)], []);
    assertEquals([...list.entries(keyOf(30), undefined, reverse)], []);
    assertEquals([...list.entries(undefined, keyOf(10), reverse)], []);
  }
  assertEquals([...list.entries(keyOf(18), keyOf(99), true)].map(([, v]) => v), [19, 18]);
  assertEquals([...list.entries(keyOf(0), keyOf(12))].map(([, v]) => v), [10, 11]);
});
