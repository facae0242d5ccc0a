/**
 * The two other front ends of a query document, for the differential test: `toPql` writes the PQL
 * text of a find / count / aggregate document, `viaBuilder` rebuilds it with the typed builder.
 * Both must give back a document deep-equal to the original (parsePql / toQuery / build.*).
 */
import {
  and,
  avg,
  Condition,
  count,
  from,
  max,
  min,
  not,
  or,
  type StoreQuery,
  sum,
  where,
} from "../../../builder/mod.ts";
import type { Aggregate, Filter, QueryDocument, Value } from "../../../protocol/query_document.ts";

function pqlPath(path: string): string {
  return path.split(".").map((segment, i) =>
    /^[0-9]+$/.test(segment) ? `[${segment}]` : (i === 0 ? "" : ".") + segment
  )
    .join("");
}

function pqlValue(value: Value, path?: string): string {
  if (value instanceof Date) return `date(${JSON.stringify(value.toISOString())})`;
  if (path === "key" && typeof value === "string" && /^[0-9a-f]{32}$/.test(value)) return `0x${value}`;
  if (Array.isArray(value)) return `[${value.map((v) => pqlValue(v, path)).join(", ")}]`;
  return JSON.stringify(value);
}

function pqlOperand(filter: Filter): string {
  return "and" in filter || "or" in filter ? `(${pqlFilter(filter)})` : pqlFilter(filter);
}

const COMPARE: Record<string, string> = { eq: "=", ne: "!=", gt: ">", gte: ">=", lt: "<", lte: "<=" };

/** The PQL text of a filter. */
export function pqlFilter(filter: Filter): string {
  if ("and" in filter) return filter.and.map(pqlOperand).join(" and ");
  if ("or" in filter) return filter.or.map(pqlOperand).join(" or ");
  if ("not" in filter) {
    return `not ${"field" in filter.not ? `(${pqlFilter(filter.not)})` : pqlOperand(filter.not)}`;
  }
  const path = pqlPath(filter.field);
  switch (filter.op) {
    case "in":
      return `${path} in ${pqlValue(filter.values, filter.field)}`;
    case "nin":
      return `${path} not in ${pqlValue(filter.values, filter.field)}`;
    case "between":
      return `${path} between ${pqlValue(filter.low, filter.field)} and ${
        pqlValue(filter.high, filter.field)
      }`;
    case "exists":
      return `${path} exists ${filter.value}`;
    case "contains":
      return `${path} contains ${pqlValue(filter.value)}`;
    case "startsWith":
      return `${path} startsWith ${JSON.stringify(filter.value)}`;
    case "regex":
      return `${path} ~ ${JSON.stringify(filter.pattern)}${
        filter.flags === undefined ? "" : " " + filter.flags
      }`;
    default:
      return `${path} ${COMPARE[filter.op]} ${pqlValue(filter.value, filter.field)}`;
  }
}

function pqlAggregate(alias: string, aggregate: Aggregate): string {
  return `${alias}: ${aggregate.fn}(${aggregate.field === undefined ? "" : pqlPath(aggregate.field)})`;
}

/** The PQL statement of a find, count or aggregate document. */
export function toPql(query: QueryDocument): string {
  if (query.op !== "find" && query.op !== "count" && query.op !== "aggregate") throw new TypeError(query.op);
  let text = query.store;
  if (query.filter !== undefined) text += `.filter(${pqlFilter(query.filter)})`;
  if (query.range !== undefined) {
    const bound = (key: string | undefined) => key === undefined ? "null" : `0x${key}`;
    text += `.range(${bound(query.range.from)}, ${bound(query.range.to)})`;
  }
  if (query.op === "count") return text + ".count()";
  if (query.op === "aggregate") {
    if (query.groupBy !== undefined) text += `.groupBy(${query.groupBy.map(pqlPath).join(", ")})`;
    const aggregates = Object.entries(query.aggregates).map(([alias, a]) => pqlAggregate(alias, a));
    return text + `.aggregate(${aggregates.join(", ")})`;
  }
  if (query.orderBy !== undefined) {
    text += `.orderBy(${query.orderBy.map((o) => `${pqlPath(o.field)} ${o.direction}`).join(", ")})`;
  }
  if (query.after !== undefined) text += `.after(0x${query.after})`;
  if (query.skip !== undefined) text += `.skip(${query.skip})`;
  if (query.limit !== undefined) text += `.limit(${query.limit})`;
  if (query.select !== undefined) text += `.select(${query.select.map(pqlPath).join(", ")})`;
  return text;
}

/** The builder condition of a filter. */
function condition(filter: Filter): Condition<unknown> {
  if ("and" in filter) return and(...filter.and.map(condition));
  if ("or" in filter) return or(...filter.or.map(condition));
  if ("not" in filter) return not(condition(filter.not));
  const field = where(filter.field);
  switch (filter.op) {
    case "in":
    case "nin":
      return field[filter.op](filter.values);
    case "between":
      return field.between(filter.low, filter.high);
    case "exists":
      return field.exists(filter.value);
    case "startsWith":
      return field.startsWith(filter.value);
    case "regex":
      return field.regex(filter.pattern, filter.flags);
    default:
      return field[filter.op](filter.value);
  }
}

const AGGREGATE_FNS = { sum, avg, min, max } as const;

/** Rebuilds a find, count or aggregate document with the typed builder. */
export function viaBuilder(query: QueryDocument): QueryDocument {
  if (query.op !== "find" && query.op !== "count" && query.op !== "aggregate") throw new TypeError(query.op);
  let chain: StoreQuery = from(query.store);
  if (query.filter !== undefined) chain = chain.filter(condition(query.filter) as Condition<never>);
  if (query.range !== undefined) chain = chain.range(query.range.from, query.range.to);
  if (query.op === "count") return chain.build.count();
  if (query.op === "aggregate") {
    if (query.groupBy !== undefined) chain = chain.groupBy(...query.groupBy);
    const aggregates = Object.fromEntries(
      Object.entries(query.aggregates).map((
        [alias, a],
      ) => [alias, a.fn === "count" ? count() : AGGREGATE_FNS[a.fn](a.field!)]),
    );
    return chain.build.aggregate(aggregates);
  }
  for (const o of query.orderBy ?? []) chain = chain.orderBy(o.field, o.direction);
  if (query.after !== undefined) chain = chain.after(query.after);
  if (query.skip !== undefined) chain = chain.skip(query.skip);
  if (query.limit !== undefined) chain = chain.limit(query.limit);
  if (query.select !== undefined) chain = chain.select(...query.select) as unknown as StoreQuery;
  return chain.toQuery();
}
