/** Urlencoded forms decode as the URL standard's form parsing does for these cases. */
import { assert, assertEquals } from "../_util/assert.ts";
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
  ];
  for (const [text, want] of cases) {
    assertEquals(parseForm(text), want, text);
    assertEquals(parseForm(text), Object.fromEntries(new URLSearchParams(text)), text);
  }
  let thrown: unknown;
  try {
    parseForm("a=%zz");
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof URIError, "a malformed escape throws URIError");
});
