/**
 * PQL filters and field paths: `status = "open" and (amount >= 10 or not (tags contains "vip"))`.
 *
 * Invariants: `and` binds tighter than `or`; a run `a and b and c` becomes one flat `{and: [a, b, c]}`
 * (same for `or`), parentheses group without adding a node, and a single predicate is never wrapped;
 * paths are dotted strings with array indexes as segments (`items[0].sku` → "items.0.sku"); values
 * compared with the path "key" are canonical keys; every regex compiles under its flags.
 */
import type { CompareOp, Filter } from "../../protocol/query_document.ts";
import type { Token } from "./lexer.ts";
import { describe, type TokenStream } from "./token_stream.ts";
import { parseArray, parseKey, parseString, parseValue, type ValueParser } from "./value_parser.ts";

const COMPARE_OPS: ReadonlyMap<string, CompareOp> = new Map<string, CompareOp>([
  ["=", "eq"],
  ["!=", "ne"],
  [">", "gt"],
  [">=", "gte"],
  ["<", "lt"],
  ["<=", "lte"],
]);
/**
 * Regex flags that make sense for matching one value at a time (no stateful g or y): each of
 * i, m, s, u, v at most once, and not both u and v.
 */
const REGEX_FLAGS = /^(?!.*(.).*\1)(?!.*u.*v)(?!.*v.*u)[imsuv]+$/;
const OPERATORS_EXPECTED =
  "an operator (=, !=, >, >=, <, <=, in, not in, between, exists, contains, startsWith, ~)";
/** Keywords that join or compare conditions: never the start of one. */
const OPERATOR_KEYWORDS: ReadonlySet<string> = new Set(["and", "or", "in", "between", "exists"]);
/** The path that names the document key. */
const KEY_PATH = "key";

/** Parses one path segment written as a double-quoted string: non-empty and without '.'. */
function quotedSegment(ts: TokenStream, token: Token): string {
  const segment = token.value as string;
  if (segment === "" || segment.includes(".")) {
    throw ts.failAt(token, "a field name that is not empty and has no '.'");
  }
  ts.next();
  return segment;
}

/**
 * Parses a field path: `a.b.c`, `items[0].sku`, `"odd name".x`. The first segment may not be an
 * unquoted keyword; later segments may (`a.index` is unambiguous).
 * @param context completes "expected a field name …", e.g. "after 'orderBy('"
 */
export function parsePath(ts: TokenStream, context: string): string {
  const first = ts.peek();
  let path: string;
  if (first.kind === "string") {
    path = quotedSegment(ts, first);
  } else if (first.kind === "ident" && first.keyword === undefined) {
    path = ts.next().text;
  } else if (first.keyword !== undefined) {
    throw ts.fail(`a field name ${context} (quote a field named like a keyword: "${first.text}")`);
  } else {
    throw ts.fail(`a field name ${context}`);
  }
  while (true) {
    if (ts.acceptPunct(".")) {
      const segment = ts.peek();
      if (segment.kind === "ident") path += "." + ts.next().text;
      else if (segment.kind === "string") path += "." + quotedSegment(ts, segment);
      else throw ts.fail(`a field name after '${path}.'`);
    } else if (ts.acceptPunct("[")) {
      const index = ts.peek();
      const value = index.value;
      if (index.kind !== "number" || typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
        throw ts.fail(`an array index (a non-negative integer) after '${path}['`);
      }
      ts.next();
      path += "." + String(value === 0 ? 0 : value);
      ts.expectPunct("]", `']' after the array index`);
    } else {
      return path;
    }
  }
}

/** Parses a filter: an `or` of `and`s of predicates, `not`s and parenthesized filters. */
export function parseFilter(ts: TokenStream): Filter {
  const first = parseAnd(ts);
  if (!ts.isKeyword("or")) return first;
  const any: Filter[] = [first];
  while (ts.acceptKeyword("or")) any.push(parseAnd(ts));
  return { or: any };
}

function parseAnd(ts: TokenStream): Filter {
  const first = parseUnary(ts);
  if (!ts.isKeyword("and")) return first;
  const all: Filter[] = [first];
  while (ts.acceptKeyword("and")) all.push(parseUnary(ts));
  return { and: all };
}

function parseUnary(ts: TokenStream): Filter {
  const token = ts.peek();
  if (token.keyword === "not") {
    ts.next();
    ts.enter(token);
    const filter: Filter = { not: parseUnary(ts) };
    ts.leave();
    return filter;
  }
  if (ts.isPunct("(")) {
    ts.next();
    ts.enter(token);
    const filter = parseFilter(ts);
    ts.expectPunct(")", "')' to close '(' or 'and'/'or' to continue the condition");
    ts.leave();
    return filter;
  }
  const startsPath = token.kind === "string" || token.kind === "ident";
  if (!startsPath || OPERATOR_KEYWORDS.has(token.keyword!)) {
    throw ts.fail("a condition (a field, 'not' or '(')");
  }
  return parsePredicate(ts);
}

/** Values compared with the key path must be keys; any value elsewhere. */
function valueParserFor(field: string): ValueParser {
  return field === KEY_PATH ? parseKey : parseValue;
}

/** Parses `path <operator> …`. */
function parsePredicate(ts: TokenStream): Filter {
  const field = parsePath(ts, "in the condition");
  const token = ts.next();
  const compare = token.kind === "punct" ? COMPARE_OPS.get(token.text) : undefined;
  if (compare !== undefined) {
    return { field, op: compare, value: valueParserFor(field)(ts, `after '${token.text}'`) };
  }
  if (token.kind === "punct" && token.text === "~") return parseRegex(ts, field);
  switch (token.keyword) {
    case "in":
      return { field, op: "in", values: parseArray(ts, "after 'in'", { element: valueParserFor(field) }) };
    case "not":
      ts.expectKeyword("in", "'in' after 'not'");
      return {
        field,
        op: "nin",
        values: parseArray(ts, "after 'not in'", { element: valueParserFor(field) }),
      };
    case "between": {
      const value = valueParserFor(field);
      const low = value(ts, "after 'between'");
      ts.expectKeyword("and", "'and' after the low value of 'between'");
      return { field, op: "between", low, high: value(ts, "after 'between … and'") };
    }
    case "exists": {
      const flag = ts.peek().keyword;
      if (flag === "true" || flag === "false") ts.next();
      return { field, op: "exists", value: flag !== "false" };
    }
  }
  if (token.kind === "ident" && token.text === "contains") {
    return { field, op: "contains", value: parseValue(ts, "after 'contains'") };
  }
  if (token.kind === "ident" && token.text === "startsWith") {
    return { field, op: "startsWith", value: parseString(ts, "after 'startsWith'") };
  }
  throw ts.failAt(token, `${OPERATORS_EXPECTED} after '${field}'`);
}

/** Parses `"pattern" [flags]` after `~` and checks that it compiles. */
function parseRegex(ts: TokenStream, field: string): Filter {
  const patternToken = ts.peek();
  const pattern = parseString(ts, "after '~'");
  const flagsToken = ts.peek();
  let flags: string | undefined;
  if (flagsToken.kind === "ident" && flagsToken.keyword === undefined) {
    if (!REGEX_FLAGS.test(flagsToken.text)) {
      throw ts.fail("regular expression flags (i, m, s, u or v, each once, not both u and v)");
    }
    flags = ts.next().text;
  }
  try {
    new RegExp(pattern, flags);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const reason = message.includes(": ") ? message.slice(message.lastIndexOf(": ") + 2) : message;
    throw ts.failAt(patternToken, "a valid regular expression", `${describe(patternToken)} (${reason})`);
  }
  return flags === undefined ? { field, op: "regex", pattern } : { field, op: "regex", pattern, flags };
}
