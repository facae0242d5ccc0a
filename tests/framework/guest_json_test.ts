/** The fast tagged-JSON paths agree with the reference codec and leave handlers' JSON alone. */
import { assertEquals } from "../_util/assert.ts";
import { decodeFromHost, encodeForGuest, encodeForHost, TAGGED_MARK } from "../../framework/guest_json.ts";
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
];

Deno.test("encodeForGuest marks only tagged texts and decodeFromHost reads both", () => {
  for (const value of VALUES) {
    const text = encodeForGuest(value);
    assertEquals(text.startsWith(TAGGED_MARK), encodeTagged(value).includes('{"$'), text);
    assertEquals(decodeFromHost(text), decodeTagged(encodeTagged(value)));
  }
});

Deno.test("encodeForHost equals encodeTagged and restores Date, BigInt and Uint8Array JSON", () => {
  for (const value of VALUES) {
    assertEquals(decodeTagged(encodeForHost(value)), decodeTagged(encodeTagged(value)));
  }
  const date = new Date(0);
  assertEquals(JSON.stringify({ date }), '{"date":"1970-01-01T00:00:00.000Z"}');
  assertEquals("toJSON" in BigInt.prototype, false);
  assertEquals("toJSON" in Uint8Array.prototype, false);
});
