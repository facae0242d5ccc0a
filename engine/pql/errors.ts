/**
 * PQL errors. Every message has one shape, `PQL <line>:<column>: expected <what> but found <what>`,
 * so a console can point at the fault and a person can read it.
 *
 * Invariants: lines and columns are 1-based; a column counts Unicode code points from the line
 * start; line breaks are "\n" ("\r\n" counts as one, as "\r" is then the line's last character);
 * the parser throws only PqlSyntaxError (code `invalid_argument`) and PlanckError `limit_exceeded`.
 */
import { PlanckError } from "../../protocol/errors.ts";

/** Longest excerpt of source quoted in a message, in UTF-16 code units. */
const FOUND_CHARS_MAX = 40;

/** Where in a PQL text a fault is: 1-based line and column, and the 0-based UTF-16 offset. */
export interface PqlLocation {
  line: number;
  column: number;
  offset: number;
}

/** A PQL statement that does not parse. Code `invalid_argument`; `location` holds line and column. */
export class PqlSyntaxError extends PlanckError {
  declare readonly location: PqlLocation;

  constructor(message: string, location: PqlLocation) {
    super("invalid_argument", message, location);
    this.name = "PqlSyntaxError";
  }
}

/** Line and column (1-based, column in code points) of `offset` in `text`. */
export function locate(text: string, offset: number): PqlLocation {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < lineStart; i = text.indexOf("\n", i + 1)) line++;
  let column = 1;
  for (let i = lineStart; i < offset; i++) {
    const unit = text.charCodeAt(i);
    const lowSurrogate = unit >= 0xdc00 && unit <= 0xdfff && i > lineStart;
    if (!lowSurrogate) column++;
  }
  return { line, column, offset };
}

/** Quotes a source excerpt for a message: strings keep their double quotes, the rest gets single quotes. */
export function quoteFound(source: string): string {
  const excerpt = source.length > FOUND_CHARS_MAX ? `${source.slice(0, FOUND_CHARS_MAX)}…` : source;
  return excerpt.startsWith('"') ? excerpt : `'${excerpt}'`;
}

/**
 * A syntax error at `offset` of `text`.
 * @param options.expected what the grammar wanted there, e.g. "a value after '>='"
 * @param options.found the offending input as it reads in the message, e.g. "')'" or "end of input"
 */
export function syntaxError(
  text: string,
  offset: number,
  options: { expected: string; found: string },
): PqlSyntaxError {
  const location = locate(text, offset);
  return new PqlSyntaxError(
    `PQL ${location.line}:${location.column}: expected ${options.expected} but found ${options.found}`,
    location,
  );
}

/**
 * A `limit_exceeded` error at `offset` of `text`, naming the limit and the value found.
 * @param expected the bound, e.g. "at most 64 levels of nesting"
 * @param limit the constant's name, e.g. "PQL_NESTING_DEPTH_MAX"
 */
export function limitError(
  text: string,
  offset: number,
  options: { expected: string; found: string; limit: string },
): PlanckError {
  const { line, column } = locate(text, offset);
  return new PlanckError(
    "limit_exceeded",
    `PQL ${line}:${column}: expected ${options.expected} (${options.limit}) but found ${options.found}`,
    { line, column, offset, limit: options.limit },
  );
}
