/**
 * Random put/delete/deleteRange/commit/abort/reopen sequences against a sorted-map model. After every
 * commit: check(), full scans both ways, random ranges both ways, random gets, user meta and stats.
 * One seed drives three workloads (short clustered keys, long keys with a tiny cache, appends with
 * range drops), each growing for 60% of its steps and then shrinking. Replay a failure with
 * PLANCK_SEED=<seed> (the fixed seeds of tests/_util/random.ts run by default).
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { BTree, type BTreeWriter } from "../../../engine/btree/btree.ts";
import { seededRandom, testSeeds, usingDefaultSeeds } from "../../_util/random.ts";
import { BTREE_KEY_BYTES_MAX, BTREE_VALUE_BYTES_MAX, PAGE_BYTES } from "../../../engine/btree/format.ts";

const OPS_PER_WORKLOAD = 8_000;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
/** Hex order equals unsigned byte order, shorter prefixes first: the model can sort strings. */
function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Workload {
  name: string;
  pageCacheBytes?: number;
  key(random: () => number, step: number): Uint8Array;
  valueBytesMax: number;
  weights: { put: number; delete: number; range: number; commit: number; abort: number; reopen: number };
}

const WORKLOADS: Workload[] = [{
  name: "short clustered keys",
  key: (random) => {
    const alphabet = [0x00, 0x01, 0x02, 0x10, 0x11, 0x40, 0x7e, 0x7f, 0x80, 0x81, 0xc0, 0xfe, 0xff];
    const key = new Uint8Array(1 + Math.floor(random() * 8));
    for (let i = 0; i < key.length; i++) key[i] = alphabet[Math.floor(random() * alphabet.length)];
    return key;
  },
  valueBytesMax: 40,
  weights: { put: 70, delete: 10, range: 1, commit: 4, abort: 0.5, reopen: 0.5 },
}, {
  name: "long keys, tiny cache",
  pageCacheBytes: 8 * PAGE_BYTES,
  key: (random) => {
    const key = new Uint8Array(1 + Math.floor(random() * BTREE_KEY_BYTES_MAX)).fill(0x42);
    key[Math.floor(random() * key.length)] = Math.floor(random() * 4);
    key[0] = Math.floor(random() * 3);
    return key;
  },
  valueBytesMax: BTREE_VALUE_BYTES_MAX,
  weights: { put: 60, delete: 15, range: 1, commit: 4, abort: 0.5, reopen: 0.5 },
}, {
  name: "appends per tree with drops",
  key: (random, step) => {
    const key = new Uint8Array(20);
    const dv = new DataView(key.buffer);
    dv.setUint32(0, Math.floor(random() * 4));
    dv.setUint32(12, random() < 0.8 ? step : Math.floor(random() * step));
    dv.setUint32(16, Math.floor(random() * 3));
    return key;
  },
  valueBytesMax: 12,
  weights: { put: 80, delete: 5, range: 1, commit: 3, abort: 0.5, reopen: 0.5 },
}];

class Run {
  tree: BTree;
  writer: BTreeWriter | undefined;
  committed = new Map<string, [Uint8Array, Uint8Array]>();
  pending = new Map<string, [Uint8Array, Uint8Array]>();
  txn = 0;
  /** Splits, merges and redistributions summed over reopens. */
  shape = { splits: 0, merges: 0, redistributions: 0 };

  constructor(readonly path: string, readonly workload: Workload, readonly random: () => number) {
    this.tree = BTree.open(path, { pageCacheBytes: workload.pageCacheBytes });
  }

  get w(): BTreeWriter {
    if (this.writer === undefined) {
      this.writer = this.tree.beginWrite();
      this.pending = new Map(this.committed);
    }
    return this.writer;
  }

  pick(step: number): Uint8Array {
    if (this.pending.size > 0 && this.random() < 0.3) {
      const keys = [...this.pending.values()];
      return keys[Math.floor(this.random() * keys.length)][0];
    }
    return this.workload.key(this.random, step);
  }

  value(): Uint8Array {
    const v = new Uint8Array(Math.floor(this.random() * (this.workload.valueBytesMax + 1)));
    for (let i = 0; i < v.length; i++) v[i] = Math.floor(this.random() * 256);
    return v;
  }

  async step(step: number): Promise<void> {
    // Grow for the first 60% of the run, then shrink, so that every workload splits and merges.
    const weights = this.workload.weights;
    const growing = step < OPS_PER_WORKLOAD * 0.6;
    const put = growing ? weights.put : weights.delete;
    const del = growing ? weights.delete : weights.put;
    const { range, commit, abort } = weights;
    let r = this.random() * Object.values(this.workload.weights).reduce((a, b) => a + b, 0);
    if ((r -= put) < 0) {
      const key = this.pick(step);
      const value = this.value();
      this.w.put(key, value);
      this.pending.set(hex(key), [key.slice(), value]);
      if (this.random() < 0.05) deepStrictEqual(this.w.get(key), value);
    } else if ((r -= del) < 0) {
      const key = this.pick(step);
      const w = this.w;
      strictEqual(w.delete(key), this.pending.delete(hex(key)), `delete ${hex(key)}`);
    } else if ((r -= range) < 0) {
      const w = this.w;
      // Mostly narrow ranges (a random run of up to 30 present keys); sometimes a wide one (a dropped store).
      const present = [...this.pending.keys()].sort().map((k) => this.pending.get(k)![0]);
      const at = Math.floor(this.random() * present.length);
      let from = present[at] ?? this.pick(step);
      let to = present[at + 1 + Math.floor(this.random() * 30)] ?? this.pick(step);
      if (this.random() < 0.02) [from, to] = [this.pick(step), this.pick(step)];
      if (hex(to) < hex(from)) [from, to] = [to, from];
      const [low, high] = [hex(from), hex(to)];
      const doomed = [...this.pending.keys()].filter((k) => k >= low && k < high);
      for (const k of doomed) this.pending.delete(k);
      strictEqual(w.deleteRange(from, to), doomed.length, "deleteRange count");
    } else if ((r -= commit) < 0) {
      await this.commit();
    } else if ((r -= abort) < 0) {
      this.writer?.abort();
      this.writer = undefined;
      this.verify();
    } else {
      this.countShape();
      this.tree.close(); // aborts the open writer: its writes must vanish
      this.writer = undefined;
      this.tree = BTree.open(this.path, { pageCacheBytes: this.workload.pageCacheBytes });
      this.verify();
    }
    if (this.writer !== undefined && this.random() < 0.02) {
      this.verifyGets(this.committed, (k) => this.tree.get(k));
    }
  }

  countShape(): void {
    const { splits, merges, redistributions } = this.tree.stats();
    this.shape.splits += splits;
    this.shape.merges += merges;
    this.shape.redistributions += redistributions;
  }

  /** Largest committed entry count and height seen. */
  peak = { entries: 0, height: 0 };

  async commit(): Promise<void> {
    const { entries, height } = this.tree.stats();
    this.peak = { entries: Math.max(this.peak.entries, entries), height: Math.max(this.peak.height, height) };
    const writer = this.w;
    this.writer = undefined;
    this.txn++;
    await writer.commit(new TextEncoder().encode(`txn ${this.txn}`));
    this.committed = this.pending;
    this.verify();
  }

  verifyGets(
    model: Map<string, [Uint8Array, Uint8Array]>,
    get: (k: Uint8Array) => Uint8Array | undefined,
  ): void {
    for (let i = 0; i < 10; i++) {
      const key = this.random() < 0.5 ? this.pick(0) : this.workload.key(this.random, 0);
      deepStrictEqual(get(key), model.get(hex(key))?.[1], `get ${hex(key)}`);
    }
  }

  verify(): void {
    this.tree.check();
    const sorted = [...this.committed.keys()].sort().map((k) => this.committed.get(k)!);
    const same = (
      pairs: [Uint8Array, Uint8Array][],
      options: Parameters<BTree["cursor"]>[0],
      what: string,
    ) => {
      const got = [...this.tree.cursor(options)];
      strictEqual(got.length, pairs.length, `${what}: length`);
      for (let i = 0; i < got.length; i++) {
        if (!equalBytes(got[i][0], pairs[i][0]) || !equalBytes(got[i][1], pairs[i][1])) {
          deepStrictEqual(
            [hex(got[i][0]), hex(got[i][1])],
            [hex(pairs[i][0]), hex(pairs[i][1])],
            `${what}: pair ${i}`,
          );
        }
      }
    };
    same(sorted, {}, "forward scan");
    same(sorted.slice().reverse(), { reverse: true }, "reverse scan");
    for (let i = 0; i < 3; i++) {
      const [from, to] = [this.workload.key(this.random, 0), this.workload.key(this.random, 0)]
        .sort((a, b) => (hex(a) < hex(b) ? -1 : 1));
      const [low, high] = [hex(from), hex(to)];
      const inRange = [...this.committed.keys()].filter((k) => k >= low && k < high).sort()
        .map((k) => this.committed.get(k)!);
      same(inRange, { from, to }, "range scan");
      same(inRange.slice().reverse(), { from, to, reverse: true }, "reverse range scan");
      strictEqual(this.tree.count(from, to), inRange.length, "range count");
      strictEqual(
        this.tree.count(from),
        [...this.committed.keys()].filter((k) => k >= low).length,
        "count from",
      );
      strictEqual(
        this.tree.count(undefined, to),
        [...this.committed.keys()].filter((k) => k < high).length,
        "count to",
      );
    }
    strictEqual(this.tree.count(), this.committed.size, "whole count");
    this.verifyGets(this.committed, (k) => this.tree.get(k));
    strictEqual(this.tree.stats().entries, this.committed.size);
    strictEqual(new TextDecoder().decode(this.tree.userMeta), this.txn === 0 ? "" : `txn ${this.txn}`);
  }
}

Deno.test("BTree matches a sorted-map model under random writes, commits, aborts and reopens", async () => {
  const seeds = testSeeds();
  console.log(`btree property test: seeds ${seeds.join(", ")} (replay one with PLANCK_SEED=<seed>)`);
  const dir = await Deno.makeTempDir({ prefix: "planck_btree_prop_" });
  // Splits, merges and growth follow from each workload's construction (it grows for 60% of its steps,
  // then shrinks), so every seed must show them. Redistribution depends on where deletes land: it is a
  // coverage fact of the fixed seed list, checked across those seeds, not of any one seed.
  let redistributionsSeen = 0;
  try {
    for (const seed of seeds) {
      try {
        for (const [index, workload] of WORKLOADS.entries()) {
          const run = new Run(`${dir}/${seed}_${index}.btree`, workload, seededRandom(seed + index));
          try {
            for (let step = 1; step <= OPS_PER_WORKLOAD; step++) await run.step(step);
            await run.commit();
            run.countShape();
            const { splits, merges, redistributions } = run.shape;
            const shape = JSON.stringify({ ...run.shape, ...run.peak });
            strictEqual(splits > 0 && merges > 0, true, `${workload.name} splits and merges: ${shape}`);
            strictEqual(run.peak.height >= 2, true, `${workload.name} grows: ${shape}`);
            redistributionsSeen += redistributions;
          } finally {
            run.tree.close();
          }
        }
      } catch (error) {
        console.error(`btree property test failed with PLANCK_SEED=${seed}`);
        throw error;
      }
    }
    if (usingDefaultSeeds()) {
      strictEqual(
        redistributionsSeen > 0,
        true,
        `some workload redistributes across seeds ${seeds.join(", ")}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
