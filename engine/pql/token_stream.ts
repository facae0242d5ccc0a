/**
 * A cursor over the tokens of one PQL text, with the helpers every parsing function shares:
 * look ahead, accept, expect, fail with a located message, and count nesting depth.
 *
 * Invariants: the cursor never moves past the final `eof` token; depth is never negative and
 * never exceeds PQL_NESTING_DEPTH_MAX (entering a deeper level throws `limit_exceeded`).
 */
import { assert } from "../assert.ts";
import type { PlanckError } from "../../protocol/errors.ts";
import { limitError, type PqlSyntaxError, quoteFound, syntaxError } from "./errors.ts";
import type { Keyword, Token } from "./lexer.ts";
import { PQL_NESTING_DEPTH_MAX } from "./limits.ts";

/** How a token reads in an error message: `')'`, `'limit'`, `"open"`, `end of input`. */
export function describe(token: Token): string {
  return token.kind === "eof" ? "end of input" : quoteFound(token.text);
}

/** The tokens of one text and a read position. */
export class TokenStream {
  readonly text: string;
  readonly #tokens: Token[];
  #pos = 0;
  #depth = 0;

  constructor(text: string, tokens: Token[]) {
    assert(tokens.length > 0, "the token list ends with eof");
    assert(tokens[tokens.length - 1].kind === "eof", "the token list ends with eof");
    this.text = text;
    this.#tokens = tokens;
  }

  /** The current token (eof at the end). */
  peek(): Token {
    return this.#tokens[this.#pos];
  }

  /** The token `ahead` places after the current one (eof past the end). */
  peekAt(ahead: number): Token {
    return this.#tokens[Math.min(this.#pos + ahead, this.#tokens.length - 1)];
  }

  /** The token before the current one (the current one at the start). */
  previous(): Token {
    return this.#tokens[Math.max(this.#pos - 1, 0)];
  }

  /** Returns the current token and moves past it (stays on eof). */
  next(): Token {
    const token = this.#tokens[this.#pos];
    if (token.kind !== "eof") this.#pos++;
    return token;
  }

  /** True when the current token is the punctuation `p`. */
  isPunct(p: string): boolean {
    const token = this.#tokens[this.#pos];
    return token.kind === "punct" && token.text === p;
  }

  /** True when the current token is the keyword `k` (any case). */
  isKeyword(k: Keyword): boolean {
    return this.#tokens[this.#pos].keyword === k;
  }

  /** Consumes the punctuation `p` if it is next. */
  acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.#pos++;
    return true;
  }

  /** Consumes the keyword `k` if it is next. */
  acceptKeyword(k: Keyword): boolean {
    if (!this.isKeyword(k)) return false;
    this.#pos++;
    return true;
  }

  /** Consumes the punctuation `p`, or fails with "expected <expected> but found …". */
  expectPunct(p: string, expected: string): Token {
    if (!this.isPunct(p)) throw this.fail(expected);
    return this.next();
  }

  /** Consumes the keyword `k`, or fails with "expected <expected> but found …". */
  expectKeyword(k: Keyword, expected: string): Token {
    if (!this.isKeyword(k)) throw this.fail(expected);
    return this.next();
  }

  /** A syntax error at the current token: "expected <expected> but found <current token>". */
  fail(expected: string): PqlSyntaxError {
    return this.failAt(this.peek(), expected);
  }

  /** A syntax error at `token`: "expected <expected> but found <token>". */
  failAt(token: Token, expected: string, found: string = describe(token)): PqlSyntaxError {
    return syntaxError(this.text, token.start, { expected, found });
  }

  /** Enters one nesting level at `token`; throws `limit_exceeded` past PQL_NESTING_DEPTH_MAX. */
  enter(token: Token): void {
    if (this.#depth >= PQL_NESTING_DEPTH_MAX) throw this.#depthError(token);
    this.#depth++;
  }

  /** Leaves the level entered last. */
  leave(): void {
    assert(this.#depth > 0, "leave matches an enter");
    this.#depth--;
  }

  #depthError(token: Token): PlanckError {
    return limitError(this.text, token.start, {
      expected: `at most ${PQL_NESTING_DEPTH_MAX} levels of nesting`,
      found: `more at ${describe(token)}`,
      limit: "PQL_NESTING_DEPTH_MAX",
    });
  }
}
