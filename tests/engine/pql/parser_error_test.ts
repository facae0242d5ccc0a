import { ok, strictEqual, throws } from "node:assert/strict";
import { PlanckError } from "../../../protocol/errors.ts";
import {
  parsePql,
  parsePqlScript,
  PQL_NESTING_DEPTH_MAX,
  PQL_SCRIPT_BYTES_MAX,
  PQL_STATEMENT_BYTES_MAX,
  PqlSyntaxError,
} from "../../../engine/pql/mod.ts";

/** Every syntax error path: statement → exact message. */
const SYNTAX_ERRORS: [string, string][] = [
  ["orders.filter(a >= )", "PQL 1:20: expected a value after '>=' but found ')'"],
  ['orders.filter(a = "open)', "PQL 1:25: expected '\"' to close the string but found end of input"],
  [
    'orders.filter(a = "op\\qen")',
    "PQL 1:22: expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX) but found '\\q'",
  ],
  [
    'orders.filter(a = "op\\u12")',
    "PQL 1:22: expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX) but found '\\u12\")'",
  ],
  ["orders.filter(a = 01)", "PQL 1:19: expected a number without leading zeros but found '01'"],
  ["orders.filter(a = 1.)", "PQL 1:21: expected a digit after '1.' but found ')'"],
  ["orders.filter(a = 1e)", "PQL 1:21: expected a digit after '1e' but found ')'"],
  ["orders.filter(a = -x)", "PQL 1:20: expected a digit after '-' but found 'x'"],
  ["orders.filter(a = 12abc)", "PQL 1:21: expected a delimiter after the number but found 'a'"],
  ["orders.filter(a = 1e999)", "PQL 1:19: expected a finite number but found '1e999'"],
  [
    "orders.filter(a = 99999999999999999999)",
    "PQL 1:19: expected an integer in the int64 range but found '99999999999999999999'",
  ],
  ["orders.filter(a = 0x)", "PQL 1:21: expected a hex digit after '0x' but found ')'"],
  [
    "orders.filter(a = 0x123456789012345678901234567890123)",
    "PQL 1:19: expected a key of at most 32 hex digits but found '0x123456789012345678901234567890123'",
  ],
  ["orders.filter(a ! 1)", "PQL 1:18: expected '=' after '!' but found a space"],
  ["orders.filter(a = 1) @", "PQL 1:22: expected a token but found '@'"],
  [
    "orders.filtr(a = 1)",
    "PQL 1:8: expected a method (filter, range, orderBy, after, skip, limit, pluck, select, exclude, count, groupBy, aggregate, get, insert, set, unset, inc, replace, delete) after '.' but found 'filtr'",
  ],
  [
    "orders.Filter(a = 1)",
    "PQL 1:8: expected a method (filter, range, orderBy, after, skip, limit, pluck, select, exclude, count, groupBy, aggregate, get, insert, set, unset, inc, replace, delete) after '.' but found 'Filter'",
  ],
  ["orders.filter(a = 1", "PQL 1:20: expected ')' to close 'filter(' but found end of input"],
  ["orders.filter(a = 1 .limit(5)", "PQL 1:21: expected ')' to close 'filter(' but found '.'"],
  ["orders.filter(", "PQL 1:15: expected a condition (a field, 'not' or '(') but found end of input"],
  ["orders.filter(a = 1)).limit(5)", "PQL 1:21: expected end of input but found ')'"],
  ["orders.filter(a = 1) orders", "PQL 1:22: expected end of input but found 'orders'"],
  ["orders.limit(5).limit(6)", "PQL 1:17: expected at most one 'limit' clause but found another 'limit'"],
  [
    "orders.pluck(a).select(b)",
    "PQL 1:17: expected at most one 'pluck'/'select' clause but found another 'select'",
  ],
  [
    "orders.pluck(a).exclude(b)",
    "PQL 1:17: expected a method that can be combined with 'pluck' but found 'exclude'",
  ],
  ['orders.get("xyz")', "PQL 1:12: expected a key (32 hex digits or 0x…) after 'get(' but found \"xyz\""],
  ['orders.get("0x")', "PQL 1:12: expected a key (32 hex digits or 0x…) after 'get(' but found \"0x\""],
  [
    'orders.filter(key = "abc")',
    "PQL 1:21: expected a key (32 hex digits or 0x…) after '=' but found \"abc\"",
  ],
  [
    'orders.filter(key in ["01926f3c7d2a4b6e8f00112233445566", 5])',
    "PQL 1:59: expected a key (32 hex digits or 0x…) in the list but found '5'",
  ],
  [
    'orders.filter(a = date("2026-02-30"))',
    'PQL 1:24: expected a valid ISO-8601 date such as "2026-01-31T12:00:00Z" but found "2026-02-30"',
  ],
  [
    'orders.filter(a = date("yesterday"))',
    'PQL 1:24: expected a valid ISO-8601 date such as "2026-01-31T12:00:00Z" but found "yesterday"',
  ],
  ["orders.filter(a = date(5))", "PQL 1:24: expected an ISO-8601 date string after 'date(' but found '5'"],
  ["orders.limit(-1)", "PQL 1:14: expected a non-negative integer after 'limit(' but found '-1'"],
  ["orders.limit(1.5)", "PQL 1:14: expected a non-negative integer after 'limit(' but found '1.5'"],
  ['orders.limit("5")', "PQL 1:14: expected a non-negative integer after 'limit(' but found \"5\""],
  [
    "orders.skip(99999999999999999999)",
    "PQL 1:13: expected an integer in the int64 range but found '99999999999999999999'",
  ],
  [
    "orders.groupBy(a).aggregate(m: median(a))",
    "PQL 1:32: expected an aggregate function (count, sum, avg, min, max) after 'm:' but found 'median'",
  ],
  ["orders.aggregate(n: count(a))", "PQL 1:27: expected ')' to close 'count(' but found 'a'"],
  [
    "orders.aggregate(group: count())",
    "PQL 1:18: expected an alias other than 'group' (each row has a 'group' field) but found 'group'",
  ],
  ["orders.aggregate(n: count(), n: sum(a))", "PQL 1:30: expected each alias once but found 'n' again"],
  ["orders.groupBy(a)", "PQL 1:18: expected '.aggregate(…)' after 'groupBy(…)' but found end of input"],
  ["create store and", "PQL 1:14: expected a store name after 'store' but found the keyword 'and'"],
  ["create store stores", "PQL 1:14: expected a store name after 'store' but found the keyword 'stores'"],
  ["create table x", "PQL 1:8: expected 'store', 'index' or 'unique index' after 'create' but found 'table'"],
  ["drop thing x", "PQL 1:6: expected 'store' or 'index' after 'drop' but found 'thing'"],
  ["show tables", "PQL 1:6: expected 'stores' or 'indexes' after 'show' but found 'tables'"],
  ["show indexes orders", "PQL 1:14: expected 'on' after 'indexes' but found 'orders'"],
  ["create index i on orders()", "PQL 1:26: expected a field name after '(' but found ')'"],
  ["create index i on orders(a, )", "PQL 1:29: expected a field name after ',' but found ')'"],
  [
    "and.filter(a = 1)",
    "PQL 1:1: expected a statement (a store name, explain, create, drop or show) but found the keyword 'and'",
  ],
  [
    'explain orders.get("01926f3c7d2a4b6e8f00112233445566")',
    "PQL 1:16: expected a find, count, aggregate, update or delete after 'explain' but found 'get'",
  ],
  ["explain create store x", "PQL 1:9: expected a query after 'explain' but found the keyword 'create'"],
  [
    'explain orders.insert({"a": 1})',
    "PQL 1:16: expected a find, count, aggregate, update or delete after 'explain' but found 'insert'",
  ],
  [
    'orders.filter(a = 1).get("01926f3c7d2a4b6e8f00112233445566")',
    "PQL 1:22: expected a method that can be combined with 'filter' but found 'get'",
  ],
  [
    "orders.limit(5).count()",
    "PQL 1:17: expected a method that can be combined with 'limit' but found 'count'",
  ],
  [
    'orders.filter(a = 1).delete("01926f3c7d2a4b6e8f00112233445566")',
    "PQL 1:22: expected 'delete()' without a key after 'filter' but found 'delete'",
  ],
  [
    'orders.delete("01926f3c7d2a4b6e8f00112233445566").limit(1)',
    "PQL 1:51: expected a method that can be combined with 'delete' but found 'limit'",
  ],
  [
    'orders.filter(a ~ "(")',
    'PQL 1:19: expected a valid regular expression but found "(" (Unterminated group)',
  ],
  [
    'orders.filter(a ~ "x" g)',
    "PQL 1:23: expected regular expression flags (i, m, s, u or v, each once, not both u and v) but found 'g'",
  ],
  [
    'orders.filter(a ~ "x" ii)',
    "PQL 1:23: expected regular expression flags (i, m, s, u or v, each once, not both u and v) but found 'ii'",
  ],
  ["orders.filter(a startsWith 5)", "PQL 1:28: expected a string after 'startsWith' but found '5'"],
  [
    "orders.filter(a between 1 or 2)",
    "PQL 1:27: expected 'and' after the low value of 'between' but found 'or'",
  ],
  ["orders.filter(a not 5)", "PQL 1:21: expected 'in' after 'not' but found '5'"],
  [
    "orders.filter(a)",
    "PQL 1:16: expected an operator (=, !=, >, >=, <, <=, in, not in, between, exists, contains, startsWith, ~) after 'a' but found ')'",
  ],
  [
    "orders.filter(desc = 1)",
    "PQL 1:15: expected a field name in the condition (quote a field named like a keyword: \"desc\") but found 'desc'",
  ],
  ["orders.filter(= 1)", "PQL 1:15: expected a condition (a field, 'not' or '(') but found '='"],
  [
    "orders.filter(items[-1] = 1)",
    "PQL 1:21: expected an array index (a non-negative integer) after 'items[' but found '-1'",
  ],
  [
    "orders.filter(items[a] = 1)",
    "PQL 1:21: expected an array index (a non-negative integer) after 'items[' but found 'a'",
  ],
  [
    'orders.filter("a.b" = 1)',
    "PQL 1:15: expected a field name that is not empty and has no '.' but found \"a.b\"",
  ],
  [
    'orders.filter("" = 1)',
    "PQL 1:15: expected a field name that is not empty and has no '.' but found \"\"",
  ],
  ["orders.filter(a. = 1)", "PQL 1:18: expected a field name after 'a.' but found '='"],
  ["orders.insert({a: 1})", "PQL 1:16: expected a field name in double quotes but found 'a'"],
  ['orders.insert({"a": 1, "a": 2})', 'PQL 1:24: expected each field once but found "a" again'],
  ['orders.insert({"a": 1,})', "PQL 1:23: expected a field name in double quotes but found '}'"],
  ["orders.insert([])", "PQL 1:16: expected at least one document in the list but found ']'"],
  ["orders.insert([1])", "PQL 1:16: expected '{' in the list but found '1'"],
  ["orders.insert(5)", "PQL 1:15: expected '{' or '[' after 'insert(' but found '5'"],
  ["orders.set({})", "PQL 1:13: expected a field name in double quotes but found '}'"],
  ['orders.inc({"a": "x"})', 'PQL 1:18: expected a number for the field "a" but found "x"'],
  [
    'orders.inc({"a": 99999999999999999999})',
    "PQL 1:18: expected an integer in the int64 range but found '99999999999999999999'",
  ],
  [
    'orders.replace("01926f3c7d2a4b6e8f00112233445566")',
    "PQL 1:50: expected ',' after the key but found ')'",
  ],
  ["orders.range()", "PQL 1:14: expected a key (32 hex digits or 0x…) or null after 'range(' but found ')'"],
  ["orders.orderBy()", "PQL 1:16: expected a field name after 'orderBy(' but found ')'"],
  ["orders.unset()", "PQL 1:14: expected a field name after 'unset(' but found ')'"],
  ["", "PQL 1:1: expected a statement (a store name, explain, create, drop or show) but found end of input"],
  [";", "PQL 1:1: expected a statement (a store name, explain, create, drop or show) but found ';'"],
  ["orders.count();;", "PQL 1:16: expected end of input but found ';'"],
  [
    "ORDERS.FILTER(a = 1)",
    "PQL 1:8: expected a method (filter, range, orderBy, after, skip, limit, pluck, select, exclude, count, groupBy, aggregate, get, insert, set, unset, inc, replace, delete) after '.' but found 'FILTER'",
  ],
  [
    "orders.filter(a = 1).limit(2).filter(b = 2)",
    "PQL 1:31: expected at most one 'filter' clause but found another 'filter'",
  ],
  ["orders.count().count()", "PQL 1:16: expected at most one 'count' clause but found another 'count'"],
  ["orders.delete().delete()", "PQL 1:17: expected at most one 'delete' clause but found another 'delete'"],
  [
    'orders.insert({"a": 1}).insert({"b": 2})',
    "PQL 1:25: expected at most one 'insert' clause but found another 'insert'",
  ],
  [
    'orders.set({"a": 1}).set({"b": 1})',
    "PQL 1:22: expected at most one 'set' clause but found another 'set'",
  ],
  ["orders.filter(a = 1 and)", "PQL 1:24: expected a condition (a field, 'not' or '(') but found ')'"],
  [
    "orders.filter(a = 1 or or b = 2)",
    "PQL 1:24: expected a condition (a field, 'not' or '(') but found 'or'",
  ],
  ["orders.filter((a = 1)", "PQL 1:22: expected ')' to close 'filter(' but found end of input"],
  ["orders.filter(not)", "PQL 1:18: expected a condition (a field, 'not' or '(') but found ')'"],
  ["orders.filter(a ~ 5)", "PQL 1:19: expected a string after '~' but found '5'"],
  ["orders.filter(a = b)", "PQL 1:19: expected a value after '=' but found 'b'"],
  ["orders.filter(a = date)", "PQL 1:19: expected a value after '=' but found 'date'"],
  ['orders.filter(a = date("2026-01-01"', "PQL 1:36: expected ')' after the date but found end of input"],
  [
    'orders.filter(a = date("2026-13-01"))',
    'PQL 1:24: expected a valid ISO-8601 date such as "2026-01-31T12:00:00Z" but found "2026-13-01"',
  ],
  [
    'orders.filter(a = date("2026-01-01T24:00:00Z"))',
    'PQL 1:24: expected a valid ISO-8601 date such as "2026-01-31T12:00:00Z" but found "2026-01-01T24:00:00Z"',
  ],
  [
    'orders.filter(a = date("2026-01-01T10:00:00+25:00"))',
    'PQL 1:24: expected a valid ISO-8601 date such as "2026-01-31T12:00:00Z" but found "2026-01-01T10:00:00+25:00"',
  ],
  [
    'orders.filter(a = date("2026-1-1"))',
    'PQL 1:24: expected a valid ISO-8601 date such as "2026-01-31T12:00:00Z" but found "2026-1-1"',
  ],
  ["orders.filter(a in 1)", "PQL 1:20: expected '[' after 'in' but found '1'"],
  ["orders.filter(a in [1, 2)", "PQL 1:25: expected ',' or ']' in the list but found ')'"],
  ["orders.filter(a in [1,])", "PQL 1:23: expected a value in the list but found ']'"],
  ['orders.filter(a = {"x" 1})', "PQL 1:24: expected ':' after the field name \"x\" but found '1'"],
  ['orders.filter(a = {"x": 1)', "PQL 1:26: expected ',' or '}' in the object but found ')'"],
  ['orders.after("abc")', "PQL 1:14: expected a key (32 hex digits or 0x…) after 'after(' but found \"abc\""],
  [
    'orders.range(0x1, "nope")',
    "PQL 1:19: expected a key (32 hex digits or 0x…) or null after ',' but found \"nope\"",
  ],
  [
    'orders.replace("abc", {"a": 1})',
    "PQL 1:16: expected a key (32 hex digits or 0x…) after 'replace(' but found \"abc\"",
  ],
  ["orders.replace(0x1, 5)", "PQL 1:21: expected '{' after the key but found '5'"],
  ['orders.insert({"a": 1}', "PQL 1:23: expected ')' to close 'insert(' but found end of input"],
  ["orders.get()", "PQL 1:12: expected a key (32 hex digits or 0x…) after 'get(' but found ')'"],
  [
    "orders.",
    "PQL 1:8: expected a method (filter, range, orderBy, after, skip, limit, pluck, select, exclude, count, groupBy, aggregate, get, insert, set, unset, inc, replace, delete) after '.' but found end of input",
  ],
  [
    "orders.filter(a = 1).",
    "PQL 1:22: expected a method (filter, range, orderBy, after, skip, limit, pluck, select, exclude, count, groupBy, aggregate, get, insert, set, unset, inc, replace, delete) after '.' but found end of input",
  ],
  ["orders.orderBy(a up)", "PQL 1:18: expected ')' to close 'orderBy(' but found 'up'"],
  ["orders.aggregate()", "PQL 1:18: expected an alias such as 'total' (alias: fn(field)) but found ')'"],
  ["orders.aggregate(n count())", "PQL 1:20: expected ':' after the alias 'n' but found 'count'"],
  ["orders.aggregate(n: sum())", "PQL 1:25: expected a field name after 'sum(' but found ')'"],
  ["orders.aggregate(n: sum(a)", "PQL 1:27: expected ')' to close 'aggregate(' but found end of input"],
  [
    "orders.aggregate(5: count())",
    "PQL 1:18: expected an alias such as 'total' (alias: fn(field)) but found '5'",
  ],
  [
    "orders.groupBy().aggregate(n: count())",
    "PQL 1:16: expected a field name after 'groupBy(' but found ')'",
  ],
  ["explain", "PQL 1:8: expected a query after 'explain' but found end of input"],
  [
    "explain explain orders.count()",
    "PQL 1:9: expected a query after 'explain' but found the keyword 'explain'",
  ],
  ["create", "PQL 1:7: expected 'store', 'index' or 'unique index' after 'create' but found end of input"],
  ["create unique store x", "PQL 1:15: expected 'index' after 'unique' but found 'store'"],
  ["create index on orders(a)", "PQL 1:14: expected an index name after 'index' but found the keyword 'on'"],
  ["create index i orders(a)", "PQL 1:16: expected 'on' after the index name but found 'orders'"],
  ["create index i on (a)", "PQL 1:19: expected a store name after 'on' but found '('"],
  ["create index i on orders a", "PQL 1:26: expected '(' after the store name but found 'a'"],
  [
    "create index i on orders(a desc desc)",
    "PQL 1:33: expected ',' or ')' after the index field but found 'desc'",
  ],
  ["drop store", "PQL 1:11: expected a store name after 'store' but found end of input"],
  ["drop store x y", "PQL 1:14: expected end of input but found 'y'"],
  ["show", "PQL 1:5: expected 'stores' or 'indexes' after 'show' but found end of input"],
  ["show indexes on", "PQL 1:16: expected a store name after 'on' but found end of input"],
  ["show indexes on null", "PQL 1:17: expected a store name after 'on' but found the keyword 'null'"],
  ["orders(a)", "PQL 1:7: expected '.' and a method after the store name but found '('"],
  ["5", "PQL 1:1: expected a statement (a store name, explain, create, drop or show) but found '5'"],
  [
    '"orders".count()',
    'PQL 1:1: expected a statement (a store name, explain, create, drop or show) but found "orders"',
  ],
  [
    "null.count()",
    "PQL 1:1: expected a statement (a store name, explain, create, drop or show) but found the keyword 'null'",
  ],
  ["orders.count(5)", "PQL 1:14: expected ')' to close 'count(' but found '5'"],
  ["orders.count(", "PQL 1:14: expected ')' to close 'count(' but found end of input"],
];

Deno.test("parsePql reports each syntax error as 'PQL line:column: expected … but found …'", () => {
  for (const [text, message] of SYNTAX_ERRORS) {
    throws(() => parsePql(text), (error: unknown) => {
      ok(error instanceof PqlSyntaxError, `PqlSyntaxError for ${text}`);
      strictEqual(error.message, message, text);
      strictEqual(error.code, "invalid_argument");
      strictEqual(error.name, "PqlSyntaxError");
      const [line, column] = message.slice(4, message.indexOf(": ")).split(":").map(Number);
      strictEqual(error.location.line, line);
      strictEqual(error.location.column, column);
      return true;
    });
  }
});

/** Asserts that `run` throws limit_exceeded naming `limit`. */
function throwsLimit(run: () => unknown, limit: string, message?: RegExp): void {
  throws(run, (error: unknown) => {
    ok(error instanceof PlanckError);
    ok(!(error instanceof PqlSyntaxError));
    strictEqual(error.code, "limit_exceeded");
    strictEqual(error.location.limit, limit);
    ok(error.message.includes(limit), error.message);
    if (message !== undefined) ok(message.test(error.message), error.message);
    return true;
  });
}

Deno.test("parsePql rejects a statement longer than PQL_STATEMENT_BYTES_MAX in UTF-8 bytes", () => {
  const pad = (bytes: number, unit: string) => `orders.filter(a = "${unit.repeat(bytes)}")`;
  const atLimit = pad(PQL_STATEMENT_BYTES_MAX - pad(0, "").length, "x");
  strictEqual(new TextEncoder().encode(atLimit).length, PQL_STATEMENT_BYTES_MAX);
  ok(parsePql(atLimit).op === "find");
  throwsLimit(
    () => parsePql(atLimit + " "),
    "PQL_STATEMENT_BYTES_MAX",
    new RegExp(
      `^PQL 1:1: expected a statement of at most ${PQL_STATEMENT_BYTES_MAX} bytes \\(PQL_STATEMENT_BYTES_MAX\\) ` +
        `but found ${PQL_STATEMENT_BYTES_MAX + 1} bytes$`,
    ),
  );
  // 4 bytes per emoji in UTF-8, 2 UTF-16 units: under the limit in units, over it in bytes.
  throwsLimit(() => parsePql(pad(PQL_STATEMENT_BYTES_MAX / 4, "😀")), "PQL_STATEMENT_BYTES_MAX");
  throwsLimit(() => parsePql(pad(PQL_STATEMENT_BYTES_MAX / 2, "é")), "PQL_STATEMENT_BYTES_MAX");
});

Deno.test("parsePqlScript bounds the script by PQL_SCRIPT_BYTES_MAX and each statement by PQL_STATEMENT_BYTES_MAX", () => {
  const statement = `orders.filter(a = "${"x".repeat(1000)}")`;
  const many = Array.from({ length: 100 }, () => statement).join("\n");
  strictEqual(parsePqlScript(many).length, 100);
  throwsLimit(() => parsePqlScript(" ".repeat(PQL_SCRIPT_BYTES_MAX + 1)), "PQL_SCRIPT_BYTES_MAX");
  const long = `show stores\norders.filter(a = "${"x".repeat(PQL_STATEMENT_BYTES_MAX)}")`;
  throwsLimit(() => parsePqlScript(long), "PQL_STATEMENT_BYTES_MAX", /^PQL 2:1: /);
});

Deno.test("parsePql accepts PQL_NESTING_DEPTH_MAX levels of nesting and rejects one more", () => {
  const depth = PQL_NESTING_DEPTH_MAX;
  const nests: [string, (n: number) => string][] = [
    ["parentheses", (n) => `orders.filter(${"(".repeat(n)}a = 1${")".repeat(n)})`],
    ["not", (n) => `orders.filter(${"not ".repeat(n)}a = 1)`],
    ["arrays", (n) => `orders.filter(a = ${"[".repeat(n)}${"]".repeat(n)})`],
    ["objects", (n) => `orders.insert(${'{"a": '.repeat(n - 1)}{}${"}".repeat(n - 1)})`],
    [
      "mixed",
      (n) => `orders.filter(${"(not ".repeat(Math.ceil(n / 2))}a = 1${")".repeat(Math.ceil(n / 2))})`,
    ],
  ];
  for (const [name, nest] of nests) {
    ok(parsePql(nest(depth)).op, name);
    throwsLimit(
      () => parsePql(nest(depth + 1)),
      "PQL_NESTING_DEPTH_MAX",
      /expected at most 64 levels of nesting/,
    );
  }
  throwsLimit(() => parsePql(`orders.filter(${"(".repeat(60_000)}`), "PQL_NESTING_DEPTH_MAX");
});

Deno.test("parsePql rejects a store name longer than STORE_NAME_BYTES_MAX", () => {
  ok(parsePql(`create store ${"s".repeat(64)}`).op === "createStore");
  throwsLimit(() => parsePql(`${"s".repeat(65)}.count()`), "STORE_NAME_BYTES_MAX");
  throwsLimit(() => parsePql(`show indexes on ${"s".repeat(65)}`), "STORE_NAME_BYTES_MAX");
});
