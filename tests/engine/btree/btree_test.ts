import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { BTree } from "../../../engine/btree/btree.ts";
import {
  BTREE_KEY_BYTES_MAX,
  BTREE_USER_META_BYTES_MAX,
  BTREE_VALUE_BYTES_MAX,
  compareBytes,
  PAGE_BYTES,
} from "../../../engine/btree/format.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { encodeNode, EntryHeap, MutableLeaf } from "../../../engine/btree/dirty.ts";
import { encodeMeta, sealPage } from "../../../engine/btree/page_file.ts";

const text = new TextEncoder();
const bytes = (s: string): Uint8Array => text.encode(s);
const str = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);

/** A 16-byte big-endian key for n, so numeric order equals byte order. */
function numKey(n: number): Uint8Array {
  const key = new Uint8Array(16);
  new DataView(key.buffer).setUint32(12, n);
  return key;
}

async function withTree(
  fn: (tree: BTree, path: string) => Promise<void> | void,
  options: { pageCacheBytes?: number } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "planck_btree_" });
  const path = `${dir}/index.btree`;
  const tree = BTree.open(path, options);
  try {
    await fn(tree, path);
  } finally {
    tree.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function putAll(tree: BTree, pairs: [string, string][], userMeta?: Uint8Array): Promise<void> {
  const w = tree.beginWrite();
  for (const [k, v] of pairs) w.put(bytes(k), bytes(v));
  await w.commit(userMeta);
}

function scan(tree: BTree, options: Parameters<BTree["cursor"]>[0] = {}): string[] {
  return [...tree.cursor(options)].map(([k]) => str(k)!);
}

Deno.test("BTree.open creates an empty tree", async () => {
  await withTree((tree) => {
    strictEqual(tree.get(bytes("a")), undefined);
    deepStrictEqual(scan(tree), []);
    deepStrictEqual(scan(tree, { reverse: true }), []);
    const stats = tree.stats();
    strictEqual(stats.entries, 0);
    strictEqual(stats.height, 0);
    strictEqual(stats.pages, 2);
    strictEqual(tree.userMeta.length, 0);
    tree.check();
  });
});

Deno.test("BTree.get returns the single committed key", async () => {
  await withTree(async (tree) => {
    await putAll(tree, [["k", "v"]]);
    strictEqual(str(tree.get(bytes("k"))), "v");
    strictEqual(tree.get(bytes("j")), undefined);
    strictEqual(tree.get(bytes("kk")), undefined);
    strictEqual(tree.stats().entries, 1);
    strictEqual(tree.stats().height, 1);
    tree.check();
  });
});

Deno.test("BTreeWriter.put overwrites a value and BTree.get returns the newest", async () => {
  await withTree(async (tree) => {
    await putAll(tree, [["k", "one"]]);
    await putAll(tree, [["k", "two"]]);
    const w = tree.beginWrite();
    w.put(bytes("k"), bytes("three"));
    w.put(bytes("k"), bytes("four"));
    strictEqual(str(w.get(bytes("k"))), "four");
    await w.commit();
    strictEqual(str(tree.get(bytes("k"))), "four");
    strictEqual(tree.stats().entries, 1);
    tree.check();
  });
});

Deno.test("BTreeWriter.delete removes a key and reports whether it was present", async () => {
  await withTree(async (tree) => {
    await putAll(tree, [["a", "1"], ["b", "2"], ["c", "3"]]);
    const w = tree.beginWrite();
    strictEqual(w.delete(bytes("b")), true);
    strictEqual(w.delete(bytes("b")), false);
    strictEqual(w.delete(bytes("zz")), false);
    strictEqual(w.get(bytes("b")), undefined);
    strictEqual(str(tree.get(bytes("b"))), "2", "readers still see the committed version");
    await w.commit();
    deepStrictEqual(scan(tree), ["a", "c"]);
    strictEqual(tree.stats().entries, 2);
    const w2 = tree.beginWrite();
    w2.delete(bytes("a"));
    w2.delete(bytes("c"));
    await w2.commit();
    strictEqual(tree.stats().height, 0, "deleting every key empties the tree");
    deepStrictEqual(scan(tree), []);
    tree.check();
  });
});

Deno.test("BTree orders keys as unsigned bytes with shorter prefixes first", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    const keys = [[0xff], [], [0x00], [0x00, 0x00], [0x7f], [0x80], [0x80, 0x00], [0x01, 0xff]];
    for (const k of keys) w.put(new Uint8Array(k), new Uint8Array([k.length]));
    await w.commit();
    const got = [...tree.cursor()].map(([k]) => [...k]);
    deepStrictEqual(got, [[], [0x00], [0x00, 0x00], [0x01, 0xff], [0x7f], [0x80], [0x80, 0x00], [0xff]]);
    deepStrictEqual([...tree.get(new Uint8Array())!], [0]);
  });
});

Deno.test("BTree.cursor honours from (inclusive) and to (exclusive) in both directions", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    for (let i = 0; i < 3000; i += 2) w.put(numKey(i), numKey(i * 10));
    await w.commit();
    ok(tree.stats().height >= 2, "the range crosses leaves");
    const all = Array.from({ length: 1500 }, (_, i) => i * 2);
    const cases: { from?: number; to?: number }[] = [
      {},
      { from: 100 },
      { from: 101 },
      { to: 100 },
      { to: 101 },
      { from: 100, to: 2000 },
      { from: 99, to: 2001 },
      { from: 500, to: 500 },
      { from: 600, to: 500 },
      { from: 2999, to: 5000 },
      { from: -1 },
    ];
    for (const c of cases) {
      const from = c.from === undefined ? undefined : c.from < 0 ? new Uint8Array() : numKey(c.from);
      const to = c.to === undefined ? undefined : numKey(c.to);
      const expected = all.filter((n) =>
        (c.from === undefined || n >= c.from) && (c.to === undefined || n < c.to)
      );
      const numbers = (reverse: boolean) =>
        [...tree.cursor({ from, to, reverse })].map(([k, v]) => {
          const n = new DataView(k.buffer, k.byteOffset).getUint32(12);
          strictEqual(new DataView(v.buffer, v.byteOffset).getUint32(12), n * 10);
          return n;
        });
      deepStrictEqual(numbers(false), expected, `forward ${JSON.stringify(c)}`);
      deepStrictEqual(numbers(true), expected.slice().reverse(), `reverse ${JSON.stringify(c)}`);
    }
  });
});

Deno.test("BTree.cursor reverse starts at the largest key below to", async () => {
  await withTree(async (tree) => {
    await putAll(tree, [["a", "1"], ["b", "2"], ["c", "3"]]);
    deepStrictEqual(scan(tree, { reverse: true, to: bytes("c") }), ["b", "a"]);
    deepStrictEqual(scan(tree, { reverse: true, to: bytes("bb") }), ["b", "a"]);
    deepStrictEqual(scan(tree, { reverse: true, from: bytes("b") }), ["c", "b"]);
    deepStrictEqual(scan(tree, { reverse: true, to: bytes("a") }), []);
  });
});

Deno.test("BTree.cursor and BTree.get return private copies", async () => {
  await withTree(async (tree) => {
    await putAll(tree, [["a", "1"], ["b", "2"]]);
    for (const [k, v] of tree.cursor()) {
      k.fill(0);
      v.fill(0);
    }
    tree.get(bytes("a"))!.fill(0);
    deepStrictEqual(scan(tree), ["a", "b"]);
    strictEqual(str(tree.get(bytes("a"))), "1");
    tree.check();
  });
});

Deno.test("BTreeWriter.put copies its arguments", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    const key = bytes("key");
    const value = bytes("val");
    w.put(key, value);
    key.fill(0x7a);
    value.fill(0x7a);
    await w.commit();
    strictEqual(str(tree.get(bytes("key"))), "val");
  });
});

Deno.test("BTree.open after close sees committed data and user meta", async () => {
  await withTree(async (tree, path) => {
    const w = tree.beginWrite();
    for (let i = 0; i < 5000; i++) w.put(numKey(i), numKey(i + 1));
    await w.commit(bytes("checkpoint-1"));
    tree.close();
    const reopened = BTree.open(path, { create: false });
    try {
      strictEqual(str(reopened.userMeta), "checkpoint-1");
      strictEqual(reopened.stats().entries, 5000);
      deepStrictEqual(reopened.get(numKey(4321)), numKey(4322));
      strictEqual([...reopened.cursor()].length, 5000);
      reopened.check();
      await reopened.beginWrite().commit();
      strictEqual(str(reopened.userMeta), "checkpoint-1", "commit without user meta keeps it");
    } finally {
      reopened.close();
    }
  });
});

Deno.test("BTree.open with create false refuses a missing file", () => {
  throws(() => BTree.open("/nonexistent/dir/index.btree", { create: false }), (e: unknown) => {
    return e instanceof PlanckError && e.code === "not_found";
  });
});

Deno.test("BTreeWriter.abort discards every change", async () => {
  await withTree(async (tree) => {
    await putAll(tree, [["a", "1"]]);
    const before = tree.stats();
    const w = tree.beginWrite();
    for (let i = 0; i < 2000; i++) w.put(numKey(i), numKey(i));
    w.delete(bytes("a"));
    w.abort();
    deepStrictEqual(scan(tree), ["a"]);
    deepStrictEqual(tree.stats().pages, before.pages);
    throws(() => w.put(bytes("x"), bytes("y")), PlanckError);
    await putAll(tree, [["b", "2"]]);
    deepStrictEqual(scan(tree), ["a", "b"]);
    tree.check();
  });
});

Deno.test("BTree readers see the committed version until commit resolves", async () => {
  await withTree(async (tree) => {
    await putAll(tree, [["k", "old"]]);
    const w = tree.beginWrite();
    w.put(bytes("k"), bytes("new"));
    w.put(bytes("n"), bytes("1"));
    strictEqual(str(tree.get(bytes("k"))), "old");
    const committing = w.commit();
    strictEqual(str(tree.get(bytes("k"))), "old", "during the commit");
    deepStrictEqual(scan(tree), ["k"]);
    await committing;
    strictEqual(str(tree.get(bytes("k"))), "new");
    deepStrictEqual(scan(tree), ["k", "n"]);
  });
});

Deno.test("BTree.beginWrite allows one writer at a time", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    throws(() => tree.beginWrite());
    const committing = w.commit();
    throws(() => tree.beginWrite(), "a committing writer still holds the lock");
    await committing;
    tree.beginWrite().abort();
  });
});

Deno.test("BTree.cursor stays valid across one later commit", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    for (let i = 0; i < 4000; i++) w.put(numKey(i), numKey(i));
    await w.commit();
    const cursor = tree.cursor();
    strictEqual(cursor.next().done, false);
    const w2 = tree.beginWrite();
    w2.deleteRange(numKey(0), numKey(4000));
    for (let i = 0; i < 4000; i++) w2.put(numKey(i), numKey(7));
    await w2.commit();
    let n = 1;
    for (const [k, v] of cursor) {
      deepStrictEqual(v, k, "the cursor still reads its own version");
      n++;
    }
    strictEqual(n, 4000);
    const stale = tree.cursor();
    stale.next();
    await tree.beginWrite().commit();
    const w3 = tree.beginWrite();
    w3.put(numKey(1), numKey(1));
    await w3.commit();
    throws(() => [...stale], "a cursor older than two commits asserts");
  });
});

Deno.test("BTreeWriter.put rejects keys, values and user meta over their limits", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    const limit = (e: unknown) => e instanceof PlanckError && e.code === "limit_exceeded";
    throws(() => w.put(new Uint8Array(BTREE_KEY_BYTES_MAX + 1), bytes("v")), limit);
    throws(() => w.put(bytes("k"), new Uint8Array(BTREE_VALUE_BYTES_MAX + 1)), limit);
    w.put(new Uint8Array(BTREE_KEY_BYTES_MAX).fill(1), new Uint8Array(BTREE_VALUE_BYTES_MAX).fill(2));
    await rejects(() => w.commit(new Uint8Array(BTREE_USER_META_BYTES_MAX + 1)), limit);
    await w.commit(new Uint8Array(BTREE_USER_META_BYTES_MAX).fill(3)); // the writer stays usable
    strictEqual(tree.userMeta.length, BTREE_USER_META_BYTES_MAX);
    tree.check();
  });
});

Deno.test("BTreeWriter splits full pages and merges underfull ones", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    // Sequential keys share long prefixes, which leaf pages store once: 60,000 make three levels.
    for (let i = 0; i < 60_000; i++) w.put(numKey(i), numKey(i));
    await w.commit();
    const grown = tree.stats();
    ok(grown.splits > 100, `splits ${grown.splits}`);
    ok(grown.height >= 3, `height ${grown.height}`);
    tree.check();
    const w2 = tree.beginWrite();
    for (let i = 0; i < 60_000; i++) if (i % 150 !== 0) w2.delete(numKey(i));
    await w2.commit();
    const shrunk = tree.stats();
    ok(shrunk.merges > 100, `merges ${shrunk.merges}`);
    ok(shrunk.redistributions > 0, `redistributions ${shrunk.redistributions}`);
    ok(shrunk.height < grown.height, "the tree got lower");
    strictEqual(shrunk.entries, 400);
    tree.check();
  });
});

Deno.test("BTreeWriter in fill mode packs a sorted load into full pages and keeps every shape rule", async () => {
  const randomKey = (i: number) => {
    const key = new Uint8Array(20);
    new DataView(key.buffer).setUint32(0, 1 + (i % 3)); // three namespaces, like stores and indexes
    new DataView(key.buffer).setUint32(4, Math.imul(i, 0x9e3779b1) >>> 0);
    new DataView(key.buffer).setUint32(8, i);
    return key;
  };
  const pairs = Array.from({ length: 30_000 }, (_, i) => randomKey(i))
    .sort((a, b) => compareBytes(a, b)).map((key, i) => [key, numKey(i).subarray(0, 4 + (i % 9))] as const);
  const pages: number[] = [];
  for (const fill of [false, true]) {
    await withTree(async (tree) => {
      const w = tree.beginWrite({ fill });
      for (const [key, value] of pairs) w.put(key, value);
      await w.commit();
      tree.check();
      strictEqual(tree.count(), pairs.length);
      deepStrictEqual([...tree.cursor()].map(([k]) => k), pairs.map(([k]) => k));
      pages.push(tree.stats().pages);
      // Small loads too: the right edge is fixed however few pages there are.
      for (const n of [1, 2, 150, 400]) {
        await withTree(async (small) => {
          const ws = small.beginWrite({ fill });
          for (const [key, value] of pairs.slice(0, n)) ws.put(key, value);
          await ws.commit();
          small.check();
          strictEqual(small.count(), n);
        });
      }
    });
  }
  ok(pages[1] < pages[0] * 0.82, `fill mode uses ${pages[1]} pages, normal ${pages[0]}`);
});

Deno.test("BTreeWriter handles maximal keys and values", async () => {
  await withTree(async (tree) => {
    const w = tree.beginWrite();
    for (let i = 0; i < 300; i++) {
      const key = new Uint8Array(BTREE_KEY_BYTES_MAX).fill(i % 7);
      key.set(numKey(i), BTREE_KEY_BYTES_MAX - 16);
      w.put(i % 3 === 0 ? key : key.subarray(0, 40 + i), new Uint8Array(BTREE_VALUE_BYTES_MAX).fill(i & 255));
    }
    await w.commit();
    tree.check();
    strictEqual(tree.stats().entries, 300);
    const w2 = tree.beginWrite();
    const expected = Array.from({ length: 300 }, (_, i) => i % 7).filter((b) => b >= 2 && b < 5).length;
    strictEqual(w2.deleteRange(new Uint8Array([2]), new Uint8Array([5])), expected);
    await w2.commit();
    tree.check();
  });
});

Deno.test("encodeNode and encodeMeta match the worked example in docs/formats/btree.md", () => {
  const hexOf = (page: Uint8Array, n: number) =>
    Array.from(page.subarray(0, n), (b) => b.toString(16).padStart(2, "0"));
  const leafKeys = [
    new Uint8Array([0, 0, 0, 1, ...bytes("ant")]),
    new Uint8Array([0, 0, 0, 1, ...bytes("bee")]),
  ];
  const leafValues = [bytes("v1"), bytes("value2")];
  const heap = new EntryHeap();
  const entries = leafKeys.map((key, i) => heap.append(key, leafValues[i]));
  const leaf = new MutableLeaf(5, heap, entries, 4 + 7 + 2 + 4 + 7 + 6);
  const page = encodeNode(leaf, () => 0);
  sealPage(page, 5, 3);
  deepStrictEqual(
    hexOf(page, 64).join(" "),
    "1f e7 01 28 02 04 02 00 05 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 00 00 00 01 03 00 02 00 " +
      "61 6e 74 76 31 03 00 06 00 62 65 65 76 61 6c 75 65 32 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
  );
  ok(page.subarray(64).every((b) => b === 0));
  const meta = encodeMeta({
    txn: 3,
    root: 5,
    pageCount: 6,
    freeHead: 0,
    freeCount: 0,
    height: 1,
    entries: 2,
    userMeta: bytes("lsn=42"),
  });
  deepStrictEqual(
    hexOf(meta, 96).join(" "),
    "b1 e4 71 d7 01 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 50 4c 41 4e 43 4b 42 54 " +
      "02 00 00 00 00 10 00 00 05 00 00 00 06 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 " +
      "02 00 00 00 00 00 00 00 06 00 00 00 6c 73 6e 3d 34 32 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
  );
  ok(meta.subarray(96).every((b) => b === 0));
  strictEqual(PAGE_BYTES, 4096);
});
