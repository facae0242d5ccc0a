/** Urlencoded forms decode as the URL standard's form parsing does for these cases. */
import { assertEquals } from "../_util/assert.ts";
import { parseForm } from "../../framework/context.ts";

Deno.test("parseForm decodes + as space and %XX escapes, the last repeated name wins", () => {
  const cases: [string, Record<string, string>][] = [
    ["", {}],
    ["a=1&b=x+y", { a: "1", b: "x y" }],
    ["user=Ada+Lovelace+%23123&note=caf%C3%A9+%2B+tea&&flag", {
      user: "Ada Lovelace #123",
      note: "café + tea",
      flag: "",
    }],
    ["a=1&a=2&b%20c=%3D", { a: "2", "b c": "=" }],
    ["plain=text-without_escapes", { plain: "text-without_escapes" }],
    // Malformed escapes stay raw, as URLSearchParams leaves them (they never throw out of a handler).
    ["a=%zz&b=%2", { a: "%zz", b: "%2" }],
  ];
  for (const [text, want] of cases) {
    assertEquals(parseForm(text), want, text);
    assertEquals(parseForm(text), Object.fromEntries(new URLSearchParams(text)), text);
  }
});
