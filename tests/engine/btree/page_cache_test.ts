import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { PAGE_CACHE_BYTES_DEFAULT, PageCache } from "../../../engine/btree/page_cache.ts";

Deno.test("PageCache defaults to PAGE_CACHE_BYTES_DEFAULT", () => {
  strictEqual(new PageCache().capacityBytes, PAGE_CACHE_BYTES_DEFAULT);
  strictEqual(PAGE_CACHE_BYTES_DEFAULT, 64 * 1024 * 1024);
});

Deno.test("PageCache.get counts hits and misses", () => {
  const cache = new PageCache<string>(100);
  strictEqual(cache.get(1), undefined);
  cache.set(1, "one", 10);
  strictEqual(cache.get(1), "one");
  strictEqual(cache.get(1), "one");
  strictEqual(cache.hits, 2);
  strictEqual(cache.misses, 1);
  strictEqual(cache.peek(1), "one");
  strictEqual(cache.peek(2), undefined);
  strictEqual(cache.hits + cache.misses, 3, "peek counts nothing");
});

Deno.test("PageCache.set evicts the least recently used pages down to the byte capacity", () => {
  const cache = new PageCache<number>(30);
  cache.set(1, 1, 10);
  cache.set(2, 2, 10);
  cache.set(3, 3, 10);
  deepStrictEqual(cache.pagesByRecency(), [3, 2, 1]);
  cache.get(1); // 1 becomes most recent, 2 least
  deepStrictEqual(cache.pagesByRecency(), [1, 3, 2]);
  cache.set(4, 4, 10);
  deepStrictEqual(cache.pagesByRecency(), [4, 1, 3]);
  strictEqual(cache.bytes, 30);
  cache.set(5, 5, 25); // needs 25 bytes: evicts 3, 1 and 4
  deepStrictEqual(cache.pagesByRecency(), [5]);
  strictEqual(cache.bytes, 25);
  strictEqual(cache.size, 1);
});

Deno.test("PageCache.peek does not change recency", () => {
  const cache = new PageCache<number>(20);
  cache.set(1, 1, 10);
  cache.set(2, 2, 10);
  cache.peek(1);
  cache.set(3, 3, 10);
  deepStrictEqual(cache.pagesByRecency(), [3, 2]);
});

Deno.test("PageCache.set replaces a page and updates the byte count", () => {
  const cache = new PageCache<string>(100);
  cache.set(7, "a", 40);
  cache.set(7, "b", 60);
  strictEqual(cache.get(7), "b");
  strictEqual(cache.bytes, 60);
  strictEqual(cache.size, 1);
});

Deno.test("PageCache.set skips a page larger than the capacity", () => {
  const cache = new PageCache<string>(50);
  cache.set(1, "small", 10);
  cache.set(2, "huge", 51);
  strictEqual(cache.peek(2), undefined);
  strictEqual(cache.peek(1), "small", "nothing was evicted for it");
  const none = new PageCache<string>(0);
  none.set(1, "x", 1);
  strictEqual(none.size, 0);
});

Deno.test("PageCache.delete and PageCache.clear release bytes", () => {
  const cache = new PageCache<string>(100);
  cache.set(1, "a", 10);
  cache.set(2, "b", 20);
  strictEqual(cache.delete(1), true);
  strictEqual(cache.delete(1), false);
  strictEqual(cache.bytes, 20);
  cache.clear();
  strictEqual(cache.bytes, 0);
  strictEqual(cache.size, 0);
  deepStrictEqual(cache.pagesByRecency(), []);
  cache.set(3, "c", 10);
  deepStrictEqual(cache.pagesByRecency(), [3]);
});

Deno.test("PageCache rejects a negative or fractional capacity", () => {
  throws(() => new PageCache(-1), RangeError);
  throws(() => new PageCache(1.5), RangeError);
});
