/**
 * Object shorthand for filters: `{ status: "open", amount: { gte: 10, lt: 20 } }`. The typed twin
 * of engine/query/shorthand.ts (which validates untrusted input); both produce the same canonical
 * Filter, checked by one shared case table in tests/builder/shorthand_test.ts:
 * - fields in key order; a plain value means eq; an object whose keys are all operator names
 *   means those operators in key order; several predicates form one flat `and`, one stands alone,
 *   none gives `{ and: [] }`;
 * - `between: [low, high]`; `regex: "re" | /re/flags` with optional `flags` (empty flags omitted).
 * Imports nothing server-side (runs inside wasm guests).
 */
import { type Document, type Filter, FILTER_OPS, type Value } from "../protocol/query_document.ts";
import type { ContainsValue, EqualValue, FieldPath, PathValue, RangeValue } from "./paths.ts";

/** Operators on one field of type V. */
export interface Operators<V> {
  eq?: EqualValue<V>;
  ne?: EqualValue<V>;
  gt?: RangeValue<V>;
  gte?: RangeValue<V>;
  lt?: RangeValue<V>;
  lte?: RangeValue<V>;
  in?: readonly EqualValue<V>[];
  nin?: readonly EqualValue<V>[];
  between?: readonly [RangeValue<V>, RangeValue<V>];
  exists?: boolean;
  contains?: ContainsValue<V>;
  startsWith?: string;
  regex?: string | RegExp;
  flags?: string;
}

/** A shorthand filter over document type T. */
export type Shorthand<T> = {
  [P in FieldPath<T>]?: EqualValue<PathValue<T, P>> | Operators<PathValue<T, P>>;
};

const OPERATORS = new Set<string>([...FILTER_OPS, "flags"]);

function isOperatorObject(value: unknown, path: string): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    return false;
  }
  const names = Object.keys(value);
  const operators = names.filter((name) => OPERATORS.has(name)).length;
  if (operators === 0) return false;
  if (operators !== names.length) {
    throw new TypeError(`Invalid shorthand for "${path}": operators and plain fields cannot be mixed`);
  }
  return true;
}

function operatorFilter(path: string, op: string, ops: Record<string, unknown>): Filter {
  const operand = ops[op];
  switch (op) {
    case "in":
    case "nin":
      return { field: path, op, values: [...(operand as Value[])] };
    case "between": {
      const [low, high] = operand as [Value, Value];
      return { field: path, op, low, high };
    }
    case "regex": {
      const [pattern, flags] = operand instanceof RegExp
        ? [operand.source, operand.flags]
        : [operand, ops.flags];
      return flags === undefined || flags === ""
        ? { field: path, op, pattern: pattern as string }
        : { field: path, op, pattern: pattern as string, flags: flags as string };
    }
    case "exists":
    case "startsWith":
    default:
      return { field: path, op, value: operand } as Filter;
  }
}

/** Converts a shorthand object into the canonical Filter. */
export function shorthandToFilter<T = Document>(shorthand: Shorthand<T>): Filter {
  const filters: Filter[] = [];
  const record = shorthand as Record<string, unknown>;
  for (const path of Object.keys(record)) {
    const value = record[path];
    if (!isOperatorObject(value, path)) {
      filters.push({ field: path, op: "eq", value: value as Value });
      continue;
    }
    if ("flags" in value && !("regex" in value)) {
      throw new TypeError(`Invalid shorthand for "${path}": flags needs regex`);
    }
    for (const op of Object.keys(value)) {
      if (op !== "flags") filters.push(operatorFilter(path, op, value));
    }
  }
  return filters.length === 1 ? filters[0] : { and: filters };
}
