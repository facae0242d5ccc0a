/**
 * PQL, the Planck Query Language: text → query document (docs/pql.md has the grammar).
 *
 * Invariants: parsing is pure and bounded (PQL_STATEMENT_BYTES_MAX, PQL_SCRIPT_BYTES_MAX,
 * PQL_NESTING_DEPTH_MAX); on any input it returns query documents or throws a PlanckError —
 * PqlSyntaxError (`invalid_argument`, with line and column) or `limit_exceeded` naming the limit.
 */
import type { QueryDocument } from "../../protocol/query_document.ts";
import { limitError } from "./errors.ts";
import { lex } from "./lexer.ts";
import { PQL_SCRIPT_BYTES_MAX, PQL_STATEMENT_BYTES_MAX } from "./limits.ts";
import { parseStatement } from "./parser.ts";
import { TokenStream } from "./token_stream.ts";

export { PqlSyntaxError } from "./errors.ts";
export type { PqlLocation } from "./errors.ts";
export { PQL_NESTING_DEPTH_MAX, PQL_SCRIPT_BYTES_MAX, PQL_STATEMENT_BYTES_MAX } from "./limits.ts";

/** UTF-8 length of `text[start, end)`, counted only as far as needed to pass `max`. */
function utf8BytesOver(text: string, start: number, end: number, max: number): number | undefined {
  if ((end - start) * 3 <= max) return undefined; // 3 bytes per UTF-16 unit at most
  let bytes = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdbff || i + 1 === end) bytes += 3;
    else {
      bytes += 4; // a surrogate pair
      i++;
    }
  }
  return bytes > max ? bytes : undefined;
}

/** Throws `limit_exceeded` when `text[start, end)` is longer than `max` UTF-8 bytes. */
function checkBytes(text: string, start: number, end: number, options: { max: number; limit: string }): void {
  const bytes = utf8BytesOver(text, start, end, options.max);
  if (bytes === undefined) return;
  throw limitError(text, start, {
    expected: `${
      options.limit === "PQL_SCRIPT_BYTES_MAX" ? "a script" : "a statement"
    } of at most ${options.max} bytes`,
    found: `${bytes} bytes`,
    limit: options.limit,
  });
}

/**
 * Parses one PQL statement (an optional trailing `;` is allowed).
 * @example
 * ```ts
 * import { parsePql } from "./mod.ts";
 * const query = parsePql('orders.filter(status = "open").limit(20)');
 * // { op: "find", store: "orders", filter: { field: "status", op: "eq", value: "open" }, limit: 20 }
 * ```
 * @throws PqlSyntaxError (code `invalid_argument`) naming line and column, or PlanckError
 * `limit_exceeded` past PQL_STATEMENT_BYTES_MAX or PQL_NESTING_DEPTH_MAX
 */
export function parsePql(text: string): QueryDocument {
  checkBytes(text, 0, text.length, { max: PQL_STATEMENT_BYTES_MAX, limit: "PQL_STATEMENT_BYTES_MAX" });
  const ts = new TokenStream(text, lex(text));
  const query = parseStatement(ts);
  ts.acceptPunct(";");
  if (ts.peek().kind !== "eof") throw ts.fail("end of input");
  return query;
}

/**
 * Parses a script of PQL statements. A statement ends at `;` or at a line break after a complete
 * statement: the parser reads each statement as far as it goes, so a line that starts with `.`
 * continues the chain above it. Empty statements (`;;`) are skipped. All or nothing: the first
 * error throws and no query is returned.
 * @example
 * ```ts
 * import { parsePqlScript } from "./mod.ts";
 * const queries = parsePqlScript('create store orders\norders.insert({"n": 1}); orders.count()');
 * // [{ op: "createStore", … }, { op: "insert", … }, { op: "count", store: "orders" }]
 * ```
 * @throws PqlSyntaxError, or PlanckError `limit_exceeded` past PQL_SCRIPT_BYTES_MAX, a statement
 * past PQL_STATEMENT_BYTES_MAX, or PQL_NESTING_DEPTH_MAX
 */
export function parsePqlScript(text: string): QueryDocument[] {
  checkBytes(text, 0, text.length, { max: PQL_SCRIPT_BYTES_MAX, limit: "PQL_SCRIPT_BYTES_MAX" });
  const ts = new TokenStream(text, lex(text));
  const queries: QueryDocument[] = [];
  while (true) {
    while (ts.acceptPunct(";"));
    const first = ts.peek();
    if (first.kind === "eof") return queries;
    const query = parseStatement(ts);
    checkBytes(text, first.start, ts.previous().end, {
      max: PQL_STATEMENT_BYTES_MAX,
      limit: "PQL_STATEMENT_BYTES_MAX",
    });
    const after = ts.peek();
    const ended = after.kind === "eof" || after.newlineBefore || ts.isPunct(";");
    if (!ended) throw ts.fail("';', a line break or end of input after the statement");
    queries.push(query);
  }
}
