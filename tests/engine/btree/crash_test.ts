import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { BTree } from "../../../engine/btree/btree.ts";
import { META_VERSION_OFFSET, PAGE_BYTES, PAGE_TYPE_LEAF } from "../../../engine/btree/format.ts";
import { decodeNode } from "../../../engine/btree/node.ts";
import { PageFile, sealPage } from "../../../engine/btree/page_file.ts";
import { CorruptionError } from "../../../engine/disk_errors.ts";
import { PlanckError } from "../../../protocol/errors.ts";

function numKey(n: number): Uint8Array {
  const key = new Uint8Array(16);
  new DataView(key.buffer).setUint32(12, n);
  return key;
}

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "planck_btree_crash_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Opens `path`, checks it, and returns its entries as "key=value" text. */
function contents(path: string): string {
  const tree = BTree.open(path, { create: false });
  try {
    tree.check();
    const pairs = [...tree.cursor()].map(([k, v]) => [
      new DataView(k.buffer, k.byteOffset).getUint32(12),
      new DataView(v.buffer, v.byteOffset).getUint32(12),
    ]);
    return pairs.map(([k, v]) => `${k}=${v}`).join(",");
  } finally {
    tree.close();
  }
}

/** Writes version 1 (keys 0..2999 → n) and returns its expected contents. */
async function writeVersion1(tree: BTree): Promise<string> {
  const w = tree.beginWrite();
  for (let i = 0; i < 3000; i++) w.put(numKey(i), numKey(i));
  await w.commit(new TextEncoder().encode("v1"));
  return Array.from({ length: 3000 }, (_, i) => `${i}=${i}`).join(",");
}

/** Starts version 2 (many pages) and returns the writer ready to commit. */
function version2(tree: BTree) {
  const w = tree.beginWrite();
  w.deleteRange(numKey(500), numKey(1500));
  for (let i = 2000; i < 6000; i++) w.put(numKey(i), numKey(i * 2));
  return w;
}

/** Seeded xorshift32. */
function prng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

Deno.test("BTree.open after a commit cut before its meta sees the previous version", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/t.btree`;
    const tree = BTree.open(path);
    const v1 = await writeVersion1(tree);
    const before = Deno.readFileSync(path);
    const committing = version2(tree).commit();
    // The pages of version 2 are written synchronously; the meta only after an fdatasync: copy now.
    const cut = Deno.readFileSync(path);
    await committing;
    const after = Deno.readFileSync(path);
    tree.close();
    ok(cut.length > before.length, "the cut file holds new pages");
    Deno.writeFileSync(`${dir}/cut`, cut);
    strictEqual(contents(`${dir}/cut`), v1);
    // Any subset of the new pages, each possibly torn, may have reached the disk.
    for (let seed = 1; seed <= 20; seed++) {
      const random = prng(seed);
      const mixed = cut.slice();
      for (let at = 0; at < before.length; at += PAGE_BYTES) {
        const r = random();
        if (r < 0.4) mixed.set(before.subarray(at, at + PAGE_BYTES), at);
        else if (r < 0.6) mixed.set(before.subarray(at, at + PAGE_BYTES / 2), at);
      }
      Deno.writeFileSync(
        `${dir}/mixed`,
        mixed.subarray(0, before.length + Math.floor(random() * 8) * PAGE_BYTES),
      );
      strictEqual(contents(`${dir}/mixed`), v1, `seed ${seed}`);
    }
    // A torn meta write (half of the new meta page) also leaves version 1.
    const slot = 0; // version 2 is txn 2, written to meta slot 2 % 2
    const torn = after.slice();
    torn.set(cut.subarray(slot * PAGE_BYTES, slot * PAGE_BYTES + 40), slot * PAGE_BYTES); // old first sector
    Deno.writeFileSync(`${dir}/torn`, torn);
    strictEqual(contents(`${dir}/torn`), v1);
    Deno.writeFileSync(`${dir}/after`, after);
    const v2 = contents(`${dir}/after`);
    strictEqual(v2.split(",").length, 5000);
  });
});

Deno.test("BTree.open picks the valid meta with the highest txn", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/t.btree`;
    const tree = BTree.open(path);
    const v1 = await writeVersion1(tree); // txn 1: slot 1
    await version2(tree).commit(); // txn 2: slot 0
    tree.close();
    const file = Deno.readFileSync(path);
    const older = file.slice();
    older[PAGE_BYTES + 100] ^= 0xff; // damage slot 1 (txn 1)
    Deno.writeFileSync(`${dir}/a`, older);
    strictEqual(contents(`${dir}/a`).split(",").length, 5000);
    const newer = file.slice();
    newer[100] ^= 0xff; // damage slot 0 (txn 2)
    Deno.writeFileSync(`${dir}/b`, newer);
    strictEqual(contents(`${dir}/b`), v1);
    const both = newer.slice();
    both[PAGE_BYTES + 100] ^= 0xff;
    Deno.writeFileSync(`${dir}/c`, both);
    throws(
      () => BTree.open(`${dir}/c`),
      (e: unknown) => e instanceof CorruptionError && e.location.file === `${dir}/c`,
    );
  });
});

Deno.test("BTree.get throws CorruptionError naming file and offset of a damaged page", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/t.btree`;
    const tree = BTree.open(path);
    await writeVersion1(tree);
    const pages = tree.stats().pages;
    tree.close();
    const file = PageFile.open(path, false);
    const leafOf = (key: Uint8Array) => {
      for (let p = 2; p < pages; p++) {
        let node;
        try {
          node = decodeNode(file.readPage(p), p, path);
        } catch {
          continue; // free-list pages
        }
        if (node.type === PAGE_TYPE_LEAF && node.find(key) >= 0) return p;
      }
      throw new Error("no leaf");
    };
    const damaged = leafOf(numKey(1234));
    const other = leafOf(numKey(0));
    file.close();
    const bytes = Deno.readFileSync(path);
    bytes[damaged * PAGE_BYTES + 200] ^= 0x01;
    Deno.writeFileSync(path, bytes);
    const reopened = BTree.open(path);
    try {
      deepStrictEqual(reopened.get(numKey(0)), numKey(0), "other pages still read");
      throws(() => reopened.get(numKey(1234)), (e: unknown) => {
        ok(e instanceof CorruptionError);
        strictEqual(e.code, "corruption");
        strictEqual(e.location.file, path);
        strictEqual(e.location.offset, damaged * PAGE_BYTES);
        ok(e.message.includes(path) && e.message.includes(`offset ${damaged * PAGE_BYTES}`), e.message);
        return true;
      });
      throws(() => [...reopened.cursor()], CorruptionError);
      throws(() => reopened.check(), CorruptionError);
    } finally {
      reopened.close();
    }
    // A page written to the wrong place fails its page-number check.
    const misdirected = Deno.readFileSync(path);
    misdirected.copyWithin(damaged * PAGE_BYTES, other * PAGE_BYTES, (other + 1) * PAGE_BYTES);
    Deno.writeFileSync(path, misdirected);
    const again = BTree.open(path);
    try {
      throws(
        () => again.get(numKey(1234)),
        (e: unknown) => e instanceof CorruptionError && /misdirected/.test(e.message),
      );
    } finally {
      again.close();
    }
  });
});

Deno.test("BTree.open re-initializes a file whose creation never completed", async () => {
  await withDir((dir) => {
    Deno.writeFileSync(`${dir}/empty`, new Uint8Array(0));
    strictEqual(contents(`${dir}/empty`), "");
    const tornCreate = new Uint8Array(PAGE_BYTES + 10).fill(0);
    tornCreate.fill(0x55, 0, 300); // half-written meta 0, meta 1 never written
    Deno.writeFileSync(`${dir}/torn`, tornCreate);
    strictEqual(contents(`${dir}/torn`), "");
  });
});

Deno.test("BTree.open refuses a file with a newer or an older format version, naming both", async () => {
  await withDir((dir) => {
    for (
      const [version, words] of [[99, /version 99 is newer than supported 2/], [
        1,
        /version 1 is older/,
      ]] as const
    ) {
      const path = `${dir}/t${version}.btree`;
      BTree.open(path).close();
      const bytes = Deno.readFileSync(path);
      const meta = bytes.subarray(0, PAGE_BYTES);
      new DataView(meta.buffer).setUint32(META_VERSION_OFFSET, version, true);
      sealPage(meta, 0, 0);
      Deno.writeFileSync(path, bytes);
      throws(
        () => BTree.open(path),
        (e: unknown) => e instanceof PlanckError && e.code === "invalid_argument" && words.test(e.message),
      );
    }
  });
});

Deno.test("BTreeWriter reuses freed pages two commits later, so rewrites do not grow the file", async () => {
  await withDir(async (dir) => {
    const tree = BTree.open(`${dir}/t.btree`);
    const sizes: number[] = [];
    for (let round = 0; round < 30; round++) {
      const w = tree.beginWrite();
      for (let i = 0; i < 3000; i++) w.put(numKey((i * 7919) % 3000), numKey(round));
      await w.commit();
      tree.check();
      sizes.push(tree.stats().pages);
    }
    ok(sizes[29] <= sizes[5] + 2, `pages ${sizes.join(",")}`);
    ok(tree.stats().freePages > 0);
    tree.close();
  });
});

Deno.test("BTree.stats counts cache hits and misses and a tiny cache stays correct", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/t.btree`;
    const tree = BTree.open(path);
    await writeVersion1(tree);
    tree.close();
    const small = BTree.open(path, { pageCacheBytes: 3 * PAGE_BYTES });
    try {
      for (let i = 0; i < 3000; i += 7) deepStrictEqual(small.get(numKey(i)), numKey(i));
      const stats = small.stats();
      ok(stats.cacheMisses > 10 && stats.cacheHits > 0, JSON.stringify(stats));
      ok(stats.cachedBytes <= 3 * PAGE_BYTES);
      strictEqual([...small.cursor({ reverse: true })].length, 3000);
    } finally {
      small.close();
    }
  });
});
