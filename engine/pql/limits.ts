/**
 * Bounds on PQL input. The parser is recursive descent over outside input, so both the text and the
 * recursion are bounded: every loop and every recursion in engine/pql/ is finite in these numbers.
 *
 * Invariants: each limit is positive; a statement fits in a script.
 */
import { assert } from "../assert.ts";
import { DOC_BYTES_MAX } from "../limits.ts";

const KiB = 1024;

/**
 * Longest single PQL statement, in UTF-8 bytes: a maximal document (DOC_BYTES_MAX of BSON) written as
 * PQL text, plus room for the statement around it — so anything the Store API accepts can go in through
 * `insert`.
 */
export const PQL_STATEMENT_BYTES_MAX = DOC_BYTES_MAX + 1024 * KiB;
/** Longest PQL script (several statements), in UTF-8 bytes: at least one maximal statement. */
export const PQL_SCRIPT_BYTES_MAX = PQL_STATEMENT_BYTES_MAX + 1024 * KiB;
/**
 * Deepest nesting of parentheses, `not`, arrays and objects in one statement. Bounds the parser's
 * recursion (stack use) and the depth of the filter tree the evaluator walks.
 */
export const PQL_NESTING_DEPTH_MAX = 64;

assert(PQL_STATEMENT_BYTES_MAX > 0, "a statement may hold at least one byte");
assert(PQL_SCRIPT_BYTES_MAX >= PQL_STATEMENT_BYTES_MAX, "a maximal statement fits in a script");
assert(PQL_STATEMENT_BYTES_MAX > DOC_BYTES_MAX, "a statement can carry a maximal document");
assert(PQL_NESTING_DEPTH_MAX > 0, "a statement may nest at least one level");
