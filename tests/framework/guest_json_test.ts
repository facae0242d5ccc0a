/** The fast tagged-JSON paths agree with the reference codec and leave handlers' JSON alone. */
import { Binary } from "bson";
import { assertEquals } from "../_util/assert.ts";
import {
  decodeFromGuest,
  decodeFromHost,
  encodeForGuest,
  encodeForHost,
  PLAIN_MARK,
  TAGGED_MARK,
} from "../../framework/guest_json.ts";
import { decodeTagged, encodeTagged } from "../../framework/tagged_json.ts";

const VALUES: unknown[] = [
  { a: 1, b: "x", c: [1, 2, { d: null }] },
  {
    when: new Date(1_700_000_000_000),
    n: 123456789012345678901234567890n,
    bytes: new Uint8Array([0, 1, 255]),
  },
  [new Date(0), -5n, new Uint8Array(0), "~not a mark inside"],
  "plain",
  null,
  { ok: true, result: [{ key: "k", tags: ["a"], deep: [[{ at: new Date(5) }]] }] },
  { ok: true, result: { n: 1, list: [1, [2, [3, 4n]]] } },
  { ok: true, result: [{ key: "k", amount: 1.5, tags: [] }, { key: "j", note: "\u2028 é" }] },
];

/** Host-side values only (a guest never holds a BSON Binary). */
const HOST_VALUES: unknown[] = [
  { ok: true, result: { bin: new Binary(new Uint8Array([7, 8])), own: { toJSON: () => "custom" } } },
];

Deno.test("encodeForGuest marks only tagged texts and decodeFromHost reads both", () => {
  for (const value of [...VALUES, ...HOST_VALUES]) {
    const text = encodeForGuest(value);
    assertEquals(text.startsWith(TAGGED_MARK), encodeTagged(value).includes('{"$'), text);
    assertEquals(decodeFromHost(text), decodeTagged(encodeTagged(value)));
  }
});

Deno.test("encodeForHost equals encodeTagged and restores Date, BigInt and Uint8Array JSON", () => {
  for (const value of VALUES) {
    assertEquals(decodeFromGuest(encodeForHost(value)), decodeTagged(encodeTagged(value)));
    assertEquals(encodeForHost(value).startsWith(PLAIN_MARK), !encodeTagged(value).includes('{"$'));
  }
  const date = new Date(0);
  assertEquals(JSON.stringify({ date }), '{"date":"1970-01-01T00:00:00.000Z"}');
  assertEquals("toJSON" in BigInt.prototype, false);
  assertEquals("toJSON" in Uint8Array.prototype, false);
});

Deno.test("encodeForGuest without tags is exactly JSON.stringify", () => {
  const value = { ok: true, result: [{ key: "k", amount: 1.5, tags: ["x"], nested: { a: null } }] };
  assertEquals(encodeForGuest(value), JSON.stringify(value));
});

Deno.test("decodeFromGuest reads unmarked tagged JSON from bundles built before the plain mark", () => {
  const value = { when: new Date(5), n: 7n, list: [1, "x"] };
  assertEquals(decodeFromGuest(encodeTagged(value)), value);
  assertEquals(decodeFromGuest(JSON.stringify({ status: 200 })), { status: 200 });
});
