/** Key-shaped runs are redacted from error answers and log lines; other text is left alone. */
import { assert, assertEquals } from "../_util/assert.ts";
import { generateKey } from "../../host/key_hash.ts";
import { REDACTED_KEY, redactKeyShapes } from "../../host/redact_keys.ts";
import { toWireError } from "../../host/wire/errors.ts";
import { PlanckError } from "../../protocol/errors.ts";

Deno.test("every generated key is redacted wherever it stands in a message", () => {
  for (let i = 0; i < 2_000; i++) {
    const key = generateKey();
    for (
      const text of [key, `Invalid key "${key}": expected 32 hex digits`, `uid=a;key=${key};x`, `(${key})`]
    ) {
      const redacted = redactKeyShapes(text);
      assert(!redacted.includes(key) && redacted.includes(REDACTED_KEY), `${text} → ${redacted}`);
    }
  }
});

Deno.test("names, hex keys, hashes and one-kind runs stay readable", () => {
  for (
    const text of [
      `Unknown store "orders__orders"`,
      `Invalid key "${"0123456789abcdef".repeat(2)}": not found`,
      `Store "${"a".repeat(43)}" does not exist`,
      `digest ${"ab".repeat(32)}`,
      `run of 44 ${"Ab1".repeat(14)}xy`,
      `run of 42 ${"Ab1".repeat(14)}`,
    ]
  ) assertEquals(redactKeyShapes(text), text);
});

Deno.test("the wire error mapper redacts a key echoed in a message", () => {
  const key = generateKey();
  const wire = toWireError(
    new PlanckError("invalid_argument", `Invalid store name "${key}"`, { field: "store" }),
  );
  assertEquals(wire, {
    code: "invalid_argument",
    message: `Invalid store name "${REDACTED_KEY}"`,
    field: "store",
  });
});
