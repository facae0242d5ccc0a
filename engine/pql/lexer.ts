/**
 * The PQL lexer: turns text into tokens in one pass over UTF-16 code units.
 *
 * Invariants: tokens are in source order and do not overlap; the last token is always `eof`; a
 * string token's value is the decoded JSON string; a number token's value is a finite number, or a
 * bigint for an integer literal outside the safe range but inside int64; a key token's value is 32
 * lowercase hex digits; `newlineBefore` is true when a line break separates a token from the previous
 * one (scripts end statements there). The lexer never throws anything but PqlSyntaxError.
 */
import { type PqlSyntaxError, quoteFound, syntaxError } from "./errors.ts";

/** Token kinds. `punct` covers `. , ( ) [ ] { } : ; ~` and the operators `= != > >= < <=`. */
export type TokenKind = "ident" | "string" | "number" | "key" | "punct" | "eof";

/** Words with a fixed meaning; matched case-insensitively and never usable as store or index names. */
export type Keyword =
  | "and"
  | "or"
  | "not"
  | "in"
  | "between"
  | "exists"
  | "true"
  | "false"
  | "null"
  | "asc"
  | "desc"
  | "create"
  | "drop"
  | "store"
  | "index"
  | "unique"
  | "on"
  | "show"
  | "stores"
  | "indexes"
  | "explain";

const KEYWORDS: ReadonlySet<string> = new Set<Keyword>([
  "and",
  "or",
  "not",
  "in",
  "between",
  "exists",
  "true",
  "false",
  "null",
  "asc",
  "desc",
  "create",
  "drop",
  "store",
  "index",
  "unique",
  "on",
  "show",
  "stores",
  "indexes",
  "explain",
]);

/** One token. `text` is the exact source; `keyword` is set (lower case) for keyword identifiers. */
export interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value of string, number and key tokens. */
  value?: string | number | bigint;
  keyword?: Keyword;
  /** Offsets into the source, in UTF-16 code units: [start, end). */
  start: number;
  end: number;
  newlineBefore: boolean;
}

/** Hex digits in a key. */
const KEY_HEX_DIGITS = 32;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SINGLE_PUNCT = ".,()[]{}:;~=";
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** True for ASCII letters and `_`. */
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Returns the keyword an identifier spells, case-insensitively, or undefined. */
export function keywordOf(word: string): Keyword | undefined {
  const lower = word.toLowerCase();
  return KEYWORDS.has(lower) ? lower as Keyword : undefined;
}

/** Describes the character at `offset` for a message ("end of input" past the end). */
function charAt(text: string, offset: number): string {
  if (offset >= text.length) return "end of input";
  const c = String.fromCodePoint(text.codePointAt(offset)!);
  if (c === "\n") return "end of line";
  if (c === " " || c === "\t") return c === " " ? "a space" : "a tab";
  const code = c.codePointAt(0)!;
  if (code < 32 || code === 127) {
    return `the control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return quoteFound(c);
}

/** A syntax error at `offset`; `found` defaults to the character there. */
function fail(text: string, offset: number, expected: string, found = charAt(text, offset)): PqlSyntaxError {
  return syntaxError(text, offset, { expected, found });
}

/**
 * Splits PQL text into tokens.
 * @throws PqlSyntaxError on an unterminated string, a bad escape, a malformed number or key, or a
 * character that starts no token
 */
export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let newlineBefore = false;
  while (true) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c === 10) {
      newlineBefore = true;
      i++;
      continue;
    }
    const start = i;
    let token: Token;
    if (i >= text.length) {
      tokens.push({ kind: "eof", text: "", start, end: start, newlineBefore });
      return tokens;
    } else if (isIdentStart(c)) {
      while (isIdentPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      token = { kind: "ident", text: word, keyword: keywordOf(word), start, end: i, newlineBefore };
    } else if (c === 34) {
      token = lexString(text, start, newlineBefore);
    } else if (c === 48 && (text.charCodeAt(i + 1) | 32) === 120) {
      token = lexKey(text, start, newlineBefore);
    } else if (isDigit(c) || c === 45) {
      token = lexNumber(text, start, newlineBefore);
    } else if (c === 33 || c === 60 || c === 62) {
      // `!=`, `<`, `<=`, `>`, `>=`.
      const two = text.charCodeAt(i + 1) === 61;
      if (c === 33 && !two) throw fail(text, i + 1, "'=' after '!'", charAt(text, i + 1));
      i += two ? 2 : 1;
      token = { kind: "punct", text: text.slice(start, i), start, end: i, newlineBefore };
    } else if (SINGLE_PUNCT.includes(text[i])) {
      token = { kind: "punct", text: text[i], start, end: i + 1, newlineBefore };
    } else {
      throw fail(text, i, "a token", charAt(text, i));
    }
    tokens.push(token);
    i = token.end;
    newlineBefore = false;
  }
}

/** Lexes a double-quoted JSON string starting at `start`. */
function lexString(text: string, start: number, newlineBefore: boolean): Token {
  let value = "";
  let i = start + 1;
  let runStart = i;
  while (true) {
    const c = text.charCodeAt(i);
    if (c === 34) break;
    if (i >= text.length || c === 10) {
      throw fail(text, i, "'\"' to close the string", charAt(text, i));
    }
    if (c < 32) throw fail(text, i, "an escaped control character in the string", charAt(text, i));
    if (c !== 92) {
      i++;
      continue;
    }
    value += text.slice(runStart, i);
    const e = text[i + 1];
    if (e !== undefined && e in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
      value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 6;
    } else {
      const bad = e === undefined ? "end of input" : quoteFound(text.slice(i, e === "u" ? i + 6 : i + 2));
      throw fail(text, i, 'an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', bad);
    }
    runStart = i;
  }
  value += text.slice(runStart, i);
  return { kind: "string", text: text.slice(start, i + 1), value, start, end: i + 1, newlineBefore };
}

/** Lexes `0x` followed by 1 to 32 hex digits: a key, canonicalized to 32 lowercase hex digits. */
function lexKey(text: string, start: number, newlineBefore: boolean): Token {
  let i = start + 2;
  while (isHexDigit(text.charCodeAt(i))) i++;
  const digits = i - start - 2;
  if (digits === 0) throw fail(text, i, "a hex digit after '0x'", charAt(text, i));
  if (digits > KEY_HEX_DIGITS) {
    throw fail(text, start, "a key of at most 32 hex digits", quoteFound(text.slice(start, i)));
  }
  if (isIdentPart(text.charCodeAt(i))) {
    throw fail(text, i, "a delimiter after the key", charAt(text, i));
  }
  const value = text.slice(start + 2, i).toLowerCase().padStart(KEY_HEX_DIGITS, "0");
  return { kind: "key", text: text.slice(start, i), value, start, end: i, newlineBefore };
}

/** Skips a run of digits from `i`; throws unless there is at least one. */
function digitsFrom(text: string, i: number, after: string): number {
  if (!isDigit(text.charCodeAt(i))) throw fail(text, i, `a digit after '${after}'`, charAt(text, i));
  while (isDigit(text.charCodeAt(i))) i++;
  return i;
}

/** Lexes a JSON number with an optional leading `-`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. */
function lexNumber(text: string, start: number, newlineBefore: boolean): Token {
  let i = start;
  if (text.charCodeAt(i) === 45) i++;
  const intStart = i;
  i = digitsFrom(text, i, "-");
  if (text.charCodeAt(intStart) === 48 && i - intStart > 1) {
    throw fail(text, start, "a number without leading zeros", quoteFound(text.slice(start, i)));
  }
  let integer = true;
  if (text.charCodeAt(i) === 46) {
    integer = false;
    i = digitsFrom(text, i + 1, text.slice(start, i + 1));
  }
  if ((text.charCodeAt(i) | 32) === 101) {
    integer = false;
    const sign = text.charCodeAt(i + 1) === 43 || text.charCodeAt(i + 1) === 45;
    i = digitsFrom(text, i + (sign ? 2 : 1), text.slice(start, i + (sign ? 2 : 1)));
  }
  if (isIdentPart(text.charCodeAt(i)) || text.charCodeAt(i) === 46) {
    throw fail(text, i, "a delimiter after the number", charAt(text, i));
  }
  const source = text.slice(start, i);
  let value: number | bigint = Number(source);
  if (!Number.isFinite(value)) throw fail(text, start, "a finite number", quoteFound(source));
  if (integer && !Number.isSafeInteger(value)) {
    value = BigInt(source);
    if (value < INT64_MIN || value > INT64_MAX) {
      throw fail(text, start, "an integer in the int64 range", quoteFound(source));
    }
  }
  return { kind: "number", text: source, value, start, end: i, newlineBefore };
}
