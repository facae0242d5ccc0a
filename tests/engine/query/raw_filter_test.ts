/**
 * The raw filter (engine/query/raw_filter.ts) never contradicts the compiled predicate: on random
 * documents and random filters, a MISS means the predicate rejects the decoded document and a MATCH
 * means it accepts it. Also checks that it decides often enough to be worth running.
 */
import { BSON, Int32 } from "bson";
import { assert, assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { compileFilter } from "../../../engine/query/filter.ts";
import { compileRawFilter, MATCH, MISS, UNKNOWN } from "../../../engine/query/raw_filter.ts";
import { decodeDocument } from "../../../engine/document.ts";
import type { Filter } from "../../../protocol/query_document.ts";

const FIELDS = ["user", "amount", "n", "créé", "tags", "when", "flag", "nested", "big"];
const STRINGS = ["", "user1", "user12", "user2", "us", "é", "éa", "a\u{1F600}", "user1\u0000x"];

type Next = () => number;

function pick<T>(next: Next, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)];
}

function randomValue(next: Next): unknown {
  switch (Math.floor(next() * 12)) {
    case 0:
    case 1:
      return pick(next, STRINGS);
    case 2:
      return pick(next, [0, -0, 1, 2.5, -7, NaN, Infinity, 1e300, 5]);
    case 3:
      return new Int32(pick(next, [0, 1, 5, -3, 2147483647]));
    case 4:
      return BigInt(pick(next, [0, 1, 5, -3])) * (next() < 0.5 ? 1n : 10_000_000_000n);
    case 5:
      return new Date(pick(next, [0, 5, 1e12, -1]));
    case 6:
      return next() < 0.5;
    case 7:
      return null;
    case 8:
      return [pick(next, STRINGS), pick(next, [1, 5, 2.5])];
    case 9:
      return { user: pick(next, STRINGS), amount: 5 };
    case 10:
      return new Uint8Array([1, 2, 3]);
    default:
      return undefined; // left out
  }
}

function randomScalar(next: Next): string | number {
  return next() < 0.5 ? pick(next, STRINGS) : pick(next, [0, 1, 2.5, 5, -7, NaN, 1e300]);
}

function randomLeaf(next: Next): Filter {
  const field = next() < 0.1 ? pick(next, ["key", "nested.user", "tags.0"]) : pick(next, FIELDS);
  switch (Math.floor(next() * 9)) {
    case 0:
      return { field, op: "eq", value: next() < 0.1 ? null : randomScalar(next) };
    case 1:
      return { field, op: "ne", value: randomScalar(next) };
    case 2:
      return { field, op: next() < 0.5 ? "in" : "nin", values: [randomScalar(next), randomScalar(next)] };
    case 3:
      return { field, op: pick(next, ["gt", "gte", "lt", "lte"] as const), value: randomScalar(next) };
    case 4:
      return { field, op: "between", low: randomScalar(next), high: randomScalar(next) };
    case 5:
      return { field, op: "exists", value: next() < 0.5 };
    case 6:
      return { field, op: "contains", value: randomScalar(next) };
    default:
      return { field, op: "startsWith", value: pick(next, STRINGS) };
  }
}

function randomFilter(next: Next, depth: number): Filter {
  const r = next();
  if (depth >= 3 || r < 0.55) return randomLeaf(next);
  const parts = Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomFilter(next, depth + 1));
  if (r < 0.75) return { and: parts };
  if (r < 0.92) return { or: parts };
  return { not: parts[0] };
}

/** A document's BSON, sometimes with a field repeated (raw BSON allows it; the last one wins). */
function randomBytes(next: Next): Uint8Array {
  const doc: Record<string, unknown> = {};
  for (const name of FIELDS) {
    const value = randomValue(next);
    if (value !== undefined) doc[name] = value;
  }
  const bytes = BSON.serialize(doc);
  if (next() >= 0.15) return bytes;
  const extra = BSON.serialize({ user: randomValue(next) ?? "user1" });
  const body = bytes.subarray(4, bytes.length - 1);
  const tail = extra.subarray(4, extra.length - 1);
  const out = new Uint8Array(4 + body.length + tail.length + 1);
  new DataView(out.buffer).setInt32(0, out.length, true);
  out.set(body, 4);
  out.set(tail, 4 + body.length);
  return out;
}

Deno.test("raw filter answers agree with the compiled predicate on random documents", async () => {
  await forEachSeed("raw filter", (seed) => {
    const next = seededRandom(seed);
    const counts = { [MISS]: 0, [MATCH]: 0, [UNKNOWN]: 0 };
    for (let round = 0; round < 600; round++) {
      const filter = randomFilter(next, 0);
      const raw = compileRawFilter(filter);
      const predicate = compileFilter(filter);
      for (let d = 0; d < 20; d++) {
        const bytes = randomBytes(next);
        const doc = decodeDocument(bytes);
        const answer = raw === null ? UNKNOWN : raw.test(bytes);
        counts[answer]++;
        if (answer === UNKNOWN) continue;
        const expected = predicate(doc, "00000000000000000000000000000000");
        assertEquals(
          answer === MATCH,
          expected,
          `round ${round} doc ${d}: filter ${JSON.stringify(filter)} doc ${Deno.inspect(doc)}`,
        );
      }
    }
    console.log(`  seed ${seed}: miss ${counts[MISS]}, match ${counts[MATCH]}, unknown ${counts[UNKNOWN]}`);
    assert(counts[MISS] > 1000 && counts[MATCH] > 1000, "the raw filter decides a fair share of answers");
  });
});

Deno.test("raw filter: the query benchmark's startsWith decides every plain document", () => {
  const raw = compileRawFilter({ field: "user", op: "startsWith", value: "user1" })!;
  assertEquals(raw.test(BSON.serialize({ user: "user17", n: 1 })), MATCH);
  assertEquals(raw.test(BSON.serialize({ user: "user27" })), MISS);
  assertEquals(raw.test(BSON.serialize({ user: "user" })), MISS);
  assertEquals(raw.test(BSON.serialize({ n: 1 })), MISS);
  assertEquals(raw.test(BSON.serialize({ user: 5 })), MISS);
  assertEquals(raw.test(BSON.serialize({ user: ["user1"] })), UNKNOWN);
  assertEquals(raw.test(new Uint8Array([5, 0, 0, 0, 1])), UNKNOWN, "malformed bytes decide nothing");
  assertEquals(compileRawFilter({ field: "key", op: "eq", value: "x" }), null);
  assertEquals(compileRawFilter(undefined), null);
});
