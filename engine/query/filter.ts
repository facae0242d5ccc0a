/**
 * Compiles a Filter (query_document.ts) into a predicate `(doc, key) => boolean`, once per query:
 * paths are parsed, regexes built and value tests specialized at compile time, so matching a
 * document is closure calls only.
 *
 * Semantics (docs/query.md, "Filters"):
 * - A path into an array matches if any reached leaf matches; an array leaf matches if the array
 *   itself or any element does (eq, in, ranges).
 * - ne, nin and `exists false` are the negations of eq, in and `exists true`, so they match
 *   missing fields. `eq null` / `in [null]` match null or missing.
 * - Comparisons across types never match. between is inclusive.
 *
 * Invariants: the input is assumed validated (validate.ts); compile still rejects unknown
 * operators and bad regexes with `invalid_argument` naming the field, and never returns a
 * predicate that throws.
 */
import type { Document, Filter } from "../../protocol/query_document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { FILTER_DEPTH_MAX, REGEX_PATTERN_LENGTH_MAX } from "./limits.ts";
import { compilePathMatcher, type LeafTest } from "./path.ts";
import {
  anyElement,
  betweenTest,
  comparisonTest,
  containsTest,
  equalsTest,
  existsTest,
  membershipTest,
  regexTest,
  startsWithTest,
} from "./leaf_tests.ts";

/** A compiled filter. */
export type Predicate = (doc: Document, key: string) => boolean;

/** Regex flags a filter may use: g and y make RegExp.test stateful, d is meaningless here. */
export const REGEX_FLAGS_ALLOWED = "imsuv";

const ALWAYS: Predicate = () => true;
const NEVER: Predicate = () => false;

/**
 * Builds the RegExp of a regex predicate.
 * @param field the predicate's location in the query document, for errors
 * @throws PlanckError `limit_exceeded` (pattern too long) or `invalid_argument` (bad flags or pattern)
 */
export function compileRegex(pattern: string, flags: string | undefined, field: string): RegExp {
  if (pattern.length > REGEX_PATTERN_LENGTH_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Regex pattern of ${pattern.length} characters exceeds ` +
        `REGEX_PATTERN_LENGTH_MAX (${REGEX_PATTERN_LENGTH_MAX})`,
      { field: `${field}.pattern`, limit: "REGEX_PATTERN_LENGTH_MAX" },
    );
  }
  const flagText = flags ?? "";
  for (let i = 0; i < flagText.length; i++) {
    const flag = flagText[i];
    const unicodeTwice = flag === "v" && flagText.includes("u");
    if (!REGEX_FLAGS_ALLOWED.includes(flag) || flagText.indexOf(flag) !== i || unicodeTwice) {
      throw new PlanckError(
        "invalid_argument",
        `Invalid regex flags "${flagText}": ` +
          `expected distinct flags from "${REGEX_FLAGS_ALLOWED}", not both u and v`,
        { field: `${field}.flags` },
      );
    }
  }
  try {
    return new RegExp(pattern, flagText);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PlanckError("invalid_argument", `Invalid regex "${pattern.slice(0, 80)}": ${reason}`, {
      field: `${field}.pattern`,
    });
  }
}

function conjunction(parts: Predicate[]): Predicate {
  if (parts.length === 0) return ALWAYS;
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) {
    const [a, b] = parts;
    return (doc, key) => a(doc, key) && b(doc, key);
  }
  return (doc, key) => {
    for (let i = 0; i < parts.length; i++) {
      if (!parts[i](doc, key)) return false;
    }
    return true;
  };
}

function disjunction(parts: Predicate[]): Predicate {
  if (parts.length === 0) return NEVER;
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) {
    const [a, b] = parts;
    return (doc, key) => a(doc, key) || b(doc, key);
  }
  return (doc, key) => {
    for (let i = 0; i < parts.length; i++) {
      if (parts[i](doc, key)) return true;
    }
    return false;
  };
}

type FieldFilter = Extract<Filter, { field: string }>;

/** The leaf test of a field predicate and whether the result is negated. */
function leafTestOf(node: FieldFilter, field: string): [LeafTest, boolean] {
  switch (node.op) {
    case "eq":
    case "ne":
      return [anyElement(equalsTest(node.value)), node.op === "ne"];
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      return [anyElement(comparisonTest(node.op, node.value)), false];
    case "in":
    case "nin":
      return [anyElement(membershipTest(node.values)), node.op === "nin"];
    case "between":
      return [anyElement(betweenTest(node.low, node.high)), false];
    case "exists":
      return [existsTest, node.value === false];
    case "contains":
      return [containsTest(node.value), false];
    case "startsWith":
      return [startsWithTest(node.value), false];
    case "regex":
      return [regexTest(compileRegex(node.pattern, node.flags, field)), false];
    default:
      throw new PlanckError(
        "invalid_argument",
        `Unknown filter operator "${String((node as { op: unknown }).op)}"`,
        { field: `${field}.op` },
      );
  }
}

function compileNode(node: Filter, field: string, depth: number): Predicate {
  if (depth > FILTER_DEPTH_MAX) {
    throw new PlanckError("limit_exceeded", `Filter nesting exceeds FILTER_DEPTH_MAX (${FILTER_DEPTH_MAX})`, {
      field,
      limit: "FILTER_DEPTH_MAX",
    });
  }
  if ("and" in node) {
    return conjunction(node.and.map((f, i) => compileNode(f, `${field}.and.${i}`, depth + 1)));
  }
  if ("or" in node) return disjunction(node.or.map((f, i) => compileNode(f, `${field}.or.${i}`, depth + 1)));
  if ("not" in node) {
    const inner = compileNode(node.not, `${field}.not`, depth + 1);
    return (doc, key) => !inner(doc, key);
  }
  const match = compilePathMatcher(node.field);
  const [test, negated] = leafTestOf(node, field);
  return negated ? (doc, key) => !match(doc, key, test) : (doc, key) => match(doc, key, test);
}

/**
 * Compiles a filter into a predicate over (document, key).
 * @param field where the filter sits in the query document, for error locations
 */
export function compileFilter(filter: Filter | undefined, field = "filter"): Predicate {
  return filter === undefined ? ALWAYS : compileNode(filter, field, 0);
}
