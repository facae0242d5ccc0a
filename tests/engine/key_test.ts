import { assert, assertEquals, assertRejectsCode } from "../_util/assert.ts";
import {
  KEY_MAX,
  KEY_MIN,
  keyFromBytes,
  KeyGenerator,
  type KeyInput,
  keyToBytes,
  parseKey,
} from "../../engine/key.ts";

const HEX = "0123456789abcdef0123456789abcdef";

const VALID: [string, KeyInput, string][] = [
  ["32 lowercase hex digits", HEX, HEX],
  ["32 uppercase hex digits", HEX.toUpperCase(), HEX],
  ["32 mixed-case hex digits", "0123456789ABCDEF0123456789abcdef", HEX],
  ["0x and 32 digits", "0x" + HEX, HEX],
  ["0X and uppercase digits", "0X" + HEX.toUpperCase(), HEX],
  ["0x and one digit", "0x1", "0".repeat(31) + "1"],
  ["0x and a short value", "0xdeadBEEF", "0".repeat(24) + "deadbeef"],
  ["0x0", "0x0", KEY_MIN],
  ["all zeros", KEY_MIN, KEY_MIN],
  ["all f", KEY_MAX.toUpperCase(), KEY_MAX],
  ["16 bytes", Uint8Array.from({ length: 16 }, (_, i) => i), "000102030405060708090a0b0c0d0e0f"],
  ["16 zero bytes", new Uint8Array(16), KEY_MIN],
  ["bigint 0", 0n, KEY_MIN],
  ["bigint 255", 255n, "0".repeat(30) + "ff"],
  ["bigint u128 max", (1n << 128n) - 1n, KEY_MAX],
];

const INVALID: [string, unknown, string][] = [
  ["empty string", "", 'Invalid key ""'],
  ["bare 0x", "0x", 'Invalid key "0x"'],
  ["bare 0X", "0X", 'Invalid key "0X"'],
  ["31 digits", HEX.slice(1), `Invalid key "${HEX.slice(1)}"`],
  ["33 digits", HEX + "0", `Invalid key "${HEX}0"`],
  ["0x and 33 digits", "0x1" + HEX, `Invalid key "0x1${HEX}"`],
  ["a non-hex digit", "g" + HEX.slice(1), `Invalid key "g${HEX.slice(1)}"`],
  ["0x and a non-hex digit", "0xz1", 'Invalid key "0xz1"'],
  ["double prefix", "0x0x1", 'Invalid key "0x0x1"'],
  ["leading space", " " + HEX.slice(1), `Invalid key " ${HEX.slice(1)}"`],
  ["trailing newline", HEX + "\n", "Invalid key"],
  ["a uuid with dashes", "01234567-89ab-cdef-0123-456789abcdef", 'Invalid key "01234567-89ab'],
  ["15 bytes", new Uint8Array(15), "got 15"],
  ["17 bytes", new Uint8Array(17), "got 17"],
  ["0 bytes", new Uint8Array(0), "got 0"],
  ["negative bigint", -1n, "Invalid key -1"],
  ["bigint 2^128", 1n << 128n, `Invalid key ${1n << 128n}`],
  ["a number", 42, "Invalid key 42"],
  ["null", null, "Invalid key of type null"],
  ["undefined", undefined, "Invalid key of type undefined"],
  ["an object", { key: HEX }, "Invalid key of type object"],
  ["an ArrayBuffer", new ArrayBuffer(16), "Invalid key of type object"],
];

Deno.test("parseKey accepts every valid form and returns the canonical lowercase key", () => {
  for (const [name, input, expected] of VALID) assertEquals(parseKey(input), expected, name);
});

Deno.test("parseKey rejects invalid input with invalid_argument naming the input", async () => {
  for (const [name, input, message] of INVALID) {
    const error = await assertRejectsCode(() => parseKey(input as KeyInput), "invalid_argument", message);
    assertEquals(error.location?.field, "key", name);
  }
});

Deno.test("parseKey rejects a bare 0x instead of returning the zero key", async () => {
  await assertRejectsCode(() => parseKey("0x"), "invalid_argument", 'Invalid key "0x"');
  assertEquals(parseKey("0x0"), KEY_MIN);
});

Deno.test("parseKey names the field it validates and truncates a long input", async () => {
  const error = await assertRejectsCode(() => parseKey("nope", "from"), "invalid_argument", '"nope"');
  assertEquals(error.location?.field, "from");
  const long = "x".repeat(10_000);
  const tooLong = await assertRejectsCode(() => parseKey(long), "invalid_argument");
  assert(tooLong.message.length < 200, `message stays short: ${tooLong.message.length} chars`);
});

Deno.test("keyToBytes and keyFromBytes round-trip big-endian", () => {
  const bytes = keyToBytes(parseKey(0x0102n));
  assertEquals(bytes[14], 1);
  assertEquals(bytes[15], 2);
  assertEquals(keyFromBytes(bytes), parseKey(0x0102n));
  const target = new Uint8Array(20);
  keyToBytes(HEX, target, 4);
  assertEquals(keyFromBytes(target, 4), HEX);
});

Deno.test("KeyGenerator.next is strictly increasing within one millisecond", () => {
  const keys = new KeyGenerator(() => 1_700_000_000_000);
  let previous = keys.next();
  for (let i = 0; i < 1000; i++) {
    const key = keys.next();
    assert(key > previous, `key ${i} "${key}" > "${previous}"`);
    assertEquals(key.slice(0, 12), (1_700_000_000_000).toString(16).padStart(12, "0"), "the time part stays");
    previous = key;
  }
});

Deno.test("KeyGenerator.next is strictly increasing when the clock goes backwards", () => {
  const times = [5000, 5000, 4000, 4999, 1, 5001, 5001, 0, 6000];
  let i = 0;
  const keys = new KeyGenerator(() => times[i++]);
  const generated = times.map(() => keys.next());
  for (let j = 1; j < generated.length; j++) assert(generated[j] > generated[j - 1], `key ${j} increases`);
  for (const key of generated) assertEquals(parseKey(key), key, "a generated key is canonical");
  assertEquals(
    generated[5].slice(0, 12),
    (5001).toString(16).padStart(12, "0"),
    "a later clock is used again",
  );
  assertEquals(generated[8].slice(0, 12), (6000).toString(16).padStart(12, "0"));
});

Deno.test("KeyGenerator.next stays increasing past 65536 keys in one millisecond", () => {
  const keys = new KeyGenerator(() => 100);
  let previous = keys.next();
  for (let i = 0; i < 70_000; i++) {
    const key = keys.next();
    if (!(key > previous)) throw new Error(`key ${i} "${key}" is not above "${previous}"`);
    previous = key;
  }
  assert(
    previous.slice(0, 12) > (100).toString(16).padStart(12, "0"),
    "the counter overflow moves the time part",
  );
});
