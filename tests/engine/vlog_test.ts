/**
 * Value pointers: the varint encoding of docs/formats/value_log.md ("Value pointer") round-trips at the
 * edges of every field and matches the worked example byte for byte.
 */
import { assertEquals } from "../_util/assert.ts";
import { decodePointer, encodePointer, isPointer, POINTER_BYTES_MAX } from "../../engine/vlog.ts";

Deno.test("encodePointer writes three LEB128 varints, as in docs/formats/value_log.md", () => {
  const bytes = encodePointer({ segment: 1, offset: 1000, length: 300 });
  assertEquals(Array.from(bytes), [0x01, 0xe8, 0x07, 0xac, 0x02]);
  assertEquals(isPointer(bytes), true);
  assertEquals(isPointer(new Uint8Array(0)), false);
});

Deno.test("decodePointer inverts encodePointer from 0 to 2^35 - 1 in every field", () => {
  const edges = [
    0,
    1,
    127,
    128,
    16_383,
    16_384,
    2 ** 21,
    2 ** 28 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 35 - 1,
  ];
  for (const segment of edges) {
    for (const offset of edges) {
      for (const length of [0, 300, 16 * 1024 * 1024, 2 ** 35 - 1]) {
        const bytes = encodePointer({ segment, offset, length });
        assertEquals(bytes.length <= POINTER_BYTES_MAX, true);
        assertEquals(decodePointer(bytes), { segment, offset, length });
      }
    }
  }
});
