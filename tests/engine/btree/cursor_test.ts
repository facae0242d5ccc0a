/**
 * BTreeCursor.count and BTree.count (subtree counts) agree with iteration for random ranges over a multi-level tree.
 */
import { assertEquals } from "../../_util/assert.ts";
import { seededRandom, testSeed } from "../../_util/random.ts";
import { BTree } from "../../../engine/btree/btree.ts";

function key(n: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setUint32(0, n);
  new DataView(bytes.buffer).setUint32(4, n ^ 0x5bd1e995);
  return bytes;
}

Deno.test("BTreeCursor.count counts the pairs of a range without iterating them", async () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const dir = await Deno.makeTempDir({ prefix: "planck-btree-count-" });
  const tree = BTree.open(`${dir}/t.btree`);
  try {
    const writer = tree.beginWrite();
    for (let n = 0; n < 20_000; n += 1 + Math.floor(random() * 3)) writer.put(key(n), new Uint8Array(4));
    await writer.commit();
    assertEquals(tree.cursor().count(), [...tree.cursor()].length, `seed ${seed}: whole tree`);
    for (let i = 0; i < 200; i++) {
      const a = Math.floor(random() * 21_000);
      const b = a + Math.floor(random() * 5_000);
      const options = { from: random() < 0.1 ? undefined : key(a), to: random() < 0.1 ? undefined : key(b) };
      const expected = [...tree.cursor(options)].length;
      assertEquals(tree.cursor(options).count(), expected, `seed ${seed}: [${a}, ${b})`);
      assertEquals(tree.count(options.from, options.to), expected, `seed ${seed}: BTree.count [${a}, ${b})`);
    }
  } finally {
    tree.close();
    await Deno.remove(dir, { recursive: true });
  }
});
