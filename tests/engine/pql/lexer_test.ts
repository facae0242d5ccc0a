import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { PqlSyntaxError } from "../../../engine/pql/errors.ts";
import { keywordOf, lex, type Token } from "../../../engine/pql/lexer.ts";

/** Kind and text of every token but eof. */
function shape(text: string): string[] {
  return lex(text).filter((t) => t.kind !== "eof").map((t) => `${t.kind}:${t.text}`);
}

function only(text: string): Token {
  const tokens = lex(text);
  strictEqual(tokens.length, 2, `one token in ${text}`);
  return tokens[0];
}

Deno.test("lex splits a chain into identifiers, punctuation, strings and numbers", () => {
  deepStrictEqual(shape('orders.filter(a >= -1.5e3 and b != "x").limit(20)'), [
    "ident:orders",
    "punct:.",
    "ident:filter",
    "punct:(",
    "ident:a",
    "punct:>=",
    "number:-1.5e3",
    "ident:and",
    "ident:b",
    "punct:!=",
    'string:"x"',
    "punct:)",
    "punct:.",
    "ident:limit",
    "punct:(",
    "number:20",
    "punct:)",
  ]);
});

Deno.test("lex reads every operator and punctuation mark", () => {
  deepStrictEqual(shape("= != > >= < <= ~ . , ( ) [ ] { } : ;").map((s) => s.slice(6)), [
    "=",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "~",
    ".",
    ",",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ";",
  ]);
  deepStrictEqual(shape("a>=1<2"), ["ident:a", "punct:>=", "number:1", "punct:<", "number:2"]);
});

Deno.test("lex marks keywords case-insensitively and leaves other words alone", () => {
  strictEqual(only("AND").keyword, "and");
  strictEqual(only("Between").keyword, "between");
  strictEqual(only("explain").keyword, "explain");
  strictEqual(only("contains").keyword, undefined);
  strictEqual(only("startsWith").keyword, undefined);
  strictEqual(only("date").keyword, undefined);
  strictEqual(keywordOf("INDEXES"), "indexes");
  strictEqual(keywordOf("key"), undefined);
});

Deno.test("lex decodes JSON string escapes", () => {
  strictEqual(only(String.raw`"a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"`).value, 'a"b\\c/d\b\f\n\r\té😀');
  strictEqual(only('""').value, "");
  strictEqual(only('"naïve ✓"').value, "naïve ✓");
});

Deno.test("lex reads JSON numbers, keeping big integers as int64 bigints", () => {
  strictEqual(only("0").value, 0);
  strictEqual(only("-0").value, -0);
  strictEqual(only("12.5").value, 12.5);
  strictEqual(only("-1E-3").value, -0.001);
  strictEqual(only("2e+2").value, 200);
  strictEqual(only("9007199254740991").value, 9007199254740991);
  strictEqual(only("9007199254740993").value, 9007199254740993n);
  strictEqual(only("-9223372036854775808").value, -9223372036854775808n);
  strictEqual(only("1e20").value, 1e20);
});

Deno.test("lex reads 0x keys as 32 lowercase hex digits", () => {
  const key = only("0xAbC");
  strictEqual(key.kind, "key");
  strictEqual(key.value, "00000000000000000000000000000abc");
  strictEqual(only("0X" + "f".repeat(32)).value, "f".repeat(32));
});

Deno.test("lex records offsets and line breaks before tokens", () => {
  const tokens = lex('a\n  .b ;\r\n"c"');
  deepStrictEqual(tokens.map((t) => [t.start, t.end, t.newlineBefore]), [
    [0, 1, false],
    [4, 5, true],
    [5, 6, false],
    [7, 8, false],
    [10, 13, true],
    [13, 13, false],
  ]);
  strictEqual(tokens[tokens.length - 1].kind, "eof");
  deepStrictEqual(lex("").map((t) => t.kind), ["eof"]);
});

/** Valid-input errors: text → exact message. */
const ERRORS: [string, string][] = [
  ['"abc', "PQL 1:5: expected '\"' to close the string but found end of input"],
  ['"ab\ncd"', "PQL 1:4: expected '\"' to close the string but found end of line"],
  ['"a\tb"', "PQL 1:3: expected an escaped control character in the string but found a tab"],
  [
    '"a\u0001b"',
    "PQL 1:3: expected an escaped control character in the string but found the control character U+0001",
  ],
  ["a \u007f", "PQL 1:3: expected a token but found the control character U+007F"],
  [
    String.raw`"a\qb"`,
    String.raw`PQL 1:3: expected an escape (\" \\ \/ \b \f \n \r \t \uXXXX) but found '\q'`,
  ],
  [
    String.raw`"a\u12x4"`,
    String.raw`PQL 1:3: expected an escape (\" \\ \/ \b \f \n \r \t \uXXXX) but found '\u12x4'`,
  ],
  ['"a\\', String.raw`PQL 1:3: expected an escape (\" \\ \/ \b \f \n \r \t \uXXXX) but found end of input`],
  ["01", "PQL 1:1: expected a number without leading zeros but found '01'"],
  ["-", "PQL 1:2: expected a digit after '-' but found end of input"],
  ["- 1", "PQL 1:2: expected a digit after '-' but found a space"],
  ["1.", "PQL 1:3: expected a digit after '1.' but found end of input"],
  ["1.e5", "PQL 1:3: expected a digit after '1.' but found 'e'"],
  ["1e", "PQL 1:3: expected a digit after '1e' but found end of input"],
  ["1e+", "PQL 1:4: expected a digit after '1e+' but found end of input"],
  ["12abc", "PQL 1:3: expected a delimiter after the number but found 'a'"],
  ["1.5.3", "PQL 1:4: expected a delimiter after the number but found '.'"],
  ["1e999", "PQL 1:1: expected a finite number but found '1e999'"],
  ["9223372036854775808", "PQL 1:1: expected an integer in the int64 range but found '9223372036854775808'"],
  ["0x", "PQL 1:3: expected a hex digit after '0x' but found end of input"],
  ["0xfg", "PQL 1:4: expected a delimiter after the key but found 'g'"],
  [
    "0x" + "1".repeat(33),
    `PQL 1:1: expected a key of at most 32 hex digits but found '0x${"1".repeat(33)}'`,
  ],
  [
    "0x" + "2".repeat(40),
    `PQL 1:1: expected a key of at most 32 hex digits but found '0x${"2".repeat(38)}…'`,
  ],
  ["a ! b", "PQL 1:4: expected '=' after '!' but found a space"],
  ["a\n  @", "PQL 2:3: expected a token but found '@'"],
  ["é", "PQL 1:1: expected a token but found 'é'"],
  ["😀 😀 #", "PQL 1:1: expected a token but found '😀'"],
  ['"😀" #', "PQL 1:5: expected a token but found '#'"],
];

Deno.test("lex rejects malformed input with a located PqlSyntaxError", () => {
  for (const [text, message] of ERRORS) {
    throws(() => lex(text), (error: unknown) => {
      ok(error instanceof PqlSyntaxError, `PqlSyntaxError for ${JSON.stringify(text)}`);
      strictEqual(error.message, message, `message for ${JSON.stringify(text)}`);
      strictEqual(error.code, "invalid_argument");
      ok(error.location.line >= 1 && error.location.column >= 1);
      return true;
    });
  }
});

Deno.test("lex counts columns in code points and lines after \\n", () => {
  throws(() => lex('"ü😀" = x ?'), (error: unknown) => {
    ok(error instanceof PqlSyntaxError);
    deepStrictEqual(error.location, { line: 1, column: 10, offset: 10 });
    return true;
  });
  throws(() => lex("a\r\nb\n\n  ?"), (error: unknown) => {
    ok(error instanceof PqlSyntaxError);
    deepStrictEqual(error.location, { line: 4, column: 3, offset: 8 });
    return true;
  });
});
