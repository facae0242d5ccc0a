/**
 * Object shorthand → canonical Filter, for untrusted input (wire clients that send
 * `{ status: "open", amount: { gte: 10 } }`). builder/shorthand.ts is the typed twin for trusted
 * builder input; a shared case table (tests/builder/shorthand_test.ts) keeps the two identical.
 *
 * Canonical form:
 * - each field in key order; a plain value means `eq`; an object whose keys are all operator
 *   names means those operators in key order (`{ gte: 10, lt: 20 }` → gte, then lt);
 * - `in`/`nin` take an array, `between` a two-element array [low, high], `exists` a boolean,
 *   `startsWith` a string, `regex` a string or RegExp (with an optional sibling `flags` string;
 *   empty flags are omitted);
 * - one predicate stands alone; several are joined in one flat `and`; none gives `{ and: [] }`.
 *
 * Invariants: the result passes validateFilter; errors name the shorthand location
 * (`filter.amount.gte`).
 */
import { type Filter, FILTER_OPS } from "../../protocol/query_document.ts";
import { isPlainObject } from "./compare.ts";
import { validateFilter } from "./validate_filter.ts";
import { checkPath, checkValue, describe, expectRecord, invalid, join } from "./validate_value.ts";

/** Operator names recognized in shorthand objects (`flags` only next to `regex`). */
export const SHORTHAND_OPS: readonly string[] = [...FILTER_OPS, "flags"];

function isOperatorObject(value: unknown, field: string): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const names = Object.keys(value);
  const operators = names.filter((n) => SHORTHAND_OPS.includes(n)).length;
  if (operators === 0) return false;
  if (operators !== names.length) {
    throw invalid(field, `Invalid shorthand at "${field}": operators and plain fields cannot be mixed`);
  }
  return true;
}

function operatorFilter(path: string, op: string, ops: Record<string, unknown>, field: string): Filter {
  const operand = ops[op];
  switch (op) {
    case "in":
    case "nin":
      return { field: path, op, values: operand } as Filter;
    case "between": {
      if (!Array.isArray(operand) || operand.length !== 2) {
        throw invalid(
          field,
          `Invalid shorthand at "${field}": expected [low, high] but got ${describe(operand)}`,
        );
      }
      return { field: path, op, low: operand[0], high: operand[1] };
    }
    case "regex": {
      const [pattern, flags] = operand instanceof RegExp
        ? [operand.source, operand.flags]
        : [operand, ops.flags];
      return flags === undefined || flags === ""
        ? { field: path, op, pattern: pattern as string }
        : { field: path, op, pattern: pattern as string, flags: flags as string };
    }
    default:
      return { field: path, op, value: operand } as Filter;
  }
}

function fieldFilters(path: string, value: unknown, field: string): Filter[] {
  if (!isOperatorObject(value, field)) {
    checkValue(value, field); // report the shorthand location, not the canonical one
    return [validateFilter({ field: path, op: "eq", value }, field)];
  }
  if ("flags" in value && !("regex" in value)) throw invalid(join(field, "flags"), `"flags" needs "regex"`);
  const filters: Filter[] = [];
  for (const op of Object.keys(value)) {
    if (op === "flags") continue;
    const at = join(field, op);
    filters.push(validateFilter(operatorFilter(path, op, value, at), at));
  }
  return filters;
}

/**
 * Converts an untrusted shorthand object into a canonical Filter.
 * @param field where the shorthand sits in the query document, for error locations
 * @throws PlanckError `invalid_argument` / `limit_exceeded` naming the location
 */
export function shorthandToFilter(input: unknown, field = "filter"): Filter {
  const record = expectRecord(input, field);
  const filters: Filter[] = [];
  for (const name of Object.keys(record)) {
    const at = join(field, name);
    filters.push(...fieldFilters(checkPath(name, at), record[name], at));
  }
  return filters.length === 1 ? filters[0] : { and: filters };
}
