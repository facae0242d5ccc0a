import { assertEquals } from "../../_util/assert.ts";
import { mergeNewest, type Version } from "../../../engine/db/merge.ts";

const v = (n: number): Uint8Array => new Uint8Array([n]);

/** A sorted source from [key, version] pairs (given in ascending key order). */
function source(pairs: [string, Version][], reverse: boolean): Iterator<[string, Version]> {
  return (reverse ? [...pairs].reverse() : pairs)[Symbol.iterator]();
}

function merged(sources: [string, Version][][], reverse: boolean): [string, number][] {
  return [...mergeNewest(sources.map((s) => source(s, reverse)), reverse)].map(([k, value]) => [k, value[0]]);
}

// Newest first: the active memtable, a frozen memtable, the persistent tier.
const NEWEST: [string, Version][] = [["b", v(30)], ["d", null], ["f", v(31)]];
const MIDDLE: [string, Version][] = [["a", v(20)], ["b", v(21)], ["c", null], ["d", v(22)], ["g", v(23)]];
const OLDEST: [string, Version][] = [["a", v(10)], ["c", v(11)], ["d", v(12)], ["e", v(13)], ["f", v(14)]];
const EXPECTED: [string, number][] = [["a", 20], ["b", 30], ["e", 13], ["f", 31], ["g", 23]];

Deno.test("mergeNewest across three sources yields the newest live version in ascending order", () => {
  assertEquals(merged([NEWEST, MIDDLE, OLDEST], false), EXPECTED);
});

Deno.test("mergeNewest across three sources yields the newest live version in descending order", () => {
  assertEquals(merged([NEWEST, MIDDLE, OLDEST], true), [...EXPECTED].reverse());
});

Deno.test("mergeNewest lets a tombstone hide older versions and a newer put hide a tombstone", () => {
  for (const reverse of [false, true]) {
    // "c": tombstone in MIDDLE hides OLDEST; "d": tombstone in NEWEST hides both older puts.
    const keys = merged([NEWEST, MIDDLE, OLDEST], reverse).map(([k]) => k);
    assertEquals(keys.includes("c") || keys.includes("d"), false);
    // A put in the newest source revives a key an older tombstone deleted.
    assertEquals(merged([[["c", v(40)]], MIDDLE, OLDEST], reverse).find(([k]) => k === "c"), ["c", 40]);
  }
});

Deno.test("mergeNewest handles empty sources and a single source", () => {
  for (const reverse of [false, true]) {
    assertEquals(merged([], reverse), []);
    assertEquals(merged([[], [], []], reverse), []);
    const oldest: [string, number][] = OLDEST.map(([k, x]) => [k, x![0]]);
    assertEquals(merged([[], OLDEST, []], reverse), reverse ? oldest.reverse() : oldest);
    assertEquals(merged([[["x", null]]], reverse), []);
  }
});

Deno.test("mergeNewest gives the earlier source precedence for every duplicate key", () => {
  const a: [string, Version][] = [["k1", v(1)], ["k2", v(1)], ["k3", v(1)]];
  const b: [string, Version][] = [["k1", v(2)], ["k2", v(2)], ["k3", v(2)]];
  const c: [string, Version][] = [["k1", v(3)], ["k2", v(3)], ["k3", v(3)]];
  for (const reverse of [false, true]) {
    const result = merged([a, b, c], reverse);
    assertEquals(result.map(([, x]) => x), [1, 1, 1]);
    assertEquals(result.map(([k]) => k), reverse ? ["k3", "k2", "k1"] : ["k1", "k2", "k3"]);
    assertEquals(merged([c, b, a], reverse).map(([, x]) => x), [3, 3, 3]);
  }
});
