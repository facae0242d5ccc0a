/**
 * Validation of an untrusted Filter: every node's shape, operator, path and value, the regex
 * (compiled once here to surface syntax errors), and the nesting and size limits. Returns a fresh
 * Filter holding only known fields; string values compared with the path "key" are canonicalized
 * when they parse as keys ("0x01", upper case).
 *
 * Invariants: the result compiles with compileFilter without throwing; at most FILTER_NODES_MAX
 * nodes, FILTER_DEPTH_MAX nesting, FILTER_IN_VALUES_MAX values per in/nin.
 */
import { FILTER_OPS } from "../../protocol/query_document.ts";
import type { CompareOp, Filter, Value } from "../../protocol/query_document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { parseKey } from "../key.ts";
import { compileRegex } from "./filter.ts";
import { FILTER_DEPTH_MAX, FILTER_IN_VALUES_MAX, FILTER_NODES_MAX } from "./limits.ts";
import { KEY_PATH } from "./path.ts";
import {
  checkPath,
  checkValue,
  describe,
  expectArray,
  expectBoolean,
  expectRecord,
  expectString,
  invalid,
  join,
} from "./validate_value.ts";

const COMPARE_OPS: readonly string[] = ["eq", "ne", "gt", "gte", "lt", "lte"];

interface Budget {
  nodes: number;
}

/** Canonicalizes a string compared with the key path when it is a key; other values pass through. */
function keyValue(path: string, value: Value): Value {
  if (path !== KEY_PATH || typeof value !== "string") return value;
  try {
    return parseKey(value);
  } catch {
    return value;
  }
}

function validateField(input: Record<string, unknown>, field: string): Filter {
  const path = checkPath(input.field, join(field, "field"));
  const op = input.op;
  if (typeof op !== "string" || !(FILTER_OPS as readonly string[]).includes(op)) {
    throw invalid(
      join(field, "op"),
      `Invalid "${join(field, "op")}": expected one of ${FILTER_OPS.join(", ")} but got ${describe(op)}`,
    );
  }
  const value = (name: string): Value => keyValue(path, checkValue(input[name], join(field, name)));
  if (COMPARE_OPS.includes(op)) {
    expectRecord(input, field, ["field", "op", "value"]);
    return { field: path, op: op as CompareOp, value: value("value") };
  }
  switch (op) {
    case "in":
    case "nin": {
      expectRecord(input, field, ["field", "op", "values"]);
      const at = join(field, "values");
      const values = expectArray(input.values, at, "FILTER_IN_VALUES_MAX", FILTER_IN_VALUES_MAX);
      return { field: path, op, values: values.map((v, i) => keyValue(path, checkValue(v, join(at, i)))) };
    }
    case "between":
      expectRecord(input, field, ["field", "op", "low", "high"]);
      return { field: path, op, low: value("low"), high: value("high") };
    case "exists":
      expectRecord(input, field, ["field", "op", "value"]);
      return { field: path, op, value: expectBoolean(input.value, join(field, "value")) };
    case "contains":
      expectRecord(input, field, ["field", "op", "value"]);
      return { field: path, op, value: value("value") };
    case "startsWith":
      expectRecord(input, field, ["field", "op", "value"]);
      return { field: path, op, value: expectString(input.value, join(field, "value"), true) };
    default: {
      expectRecord(input, field, ["field", "op", "pattern", "flags"]);
      const pattern = expectString(input.pattern, join(field, "pattern"), true);
      const flags = input.flags === undefined
        ? undefined
        : expectString(input.flags, join(field, "flags"), true);
      compileRegex(pattern, flags, field);
      return flags === undefined
        ? { field: path, op: "regex", pattern }
        : { field: path, op: "regex", pattern, flags };
    }
  }
}

function validateNode(input: unknown, field: string, depth: number, budget: Budget): Filter {
  if (depth > FILTER_DEPTH_MAX) {
    throw new PlanckError("limit_exceeded", `Filter nesting exceeds FILTER_DEPTH_MAX (${FILTER_DEPTH_MAX})`, {
      field,
      limit: "FILTER_DEPTH_MAX",
    });
  }
  if (++budget.nodes > FILTER_NODES_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Filter has more than FILTER_NODES_MAX (${FILTER_NODES_MAX}) nodes`,
      {
        field,
        limit: "FILTER_NODES_MAX",
      },
    );
  }
  const node = expectRecord(input, field);
  for (const logical of ["and", "or"] as const) {
    if (!(logical in node)) continue;
    expectRecord(node, field, [logical]);
    const at = join(field, logical);
    const parts = expectArray(node[logical], at, "FILTER_NODES_MAX", FILTER_NODES_MAX);
    const children = parts.map((part, i) => validateNode(part, join(at, i), depth + 1, budget));
    return logical === "and" ? { and: children } : { or: children };
  }
  if ("not" in node) {
    expectRecord(node, field, ["not"]);
    return { not: validateNode(node.not, join(field, "not"), depth + 1, budget) };
  }
  if (!("field" in node)) {
    throw invalid(field, `Invalid filter at "${field}": expected "and", "or", "not" or "field"`);
  }
  return validateField(node, field);
}

/**
 * Validates an untrusted filter.
 * @param field where the filter sits in the query document (default "filter")
 * @returns a fresh, canonical Filter
 */
export function validateFilter(input: unknown, field = "filter"): Filter {
  return validateNode(input, field, 0, { nodes: 0 });
}
