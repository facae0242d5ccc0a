/**
 * The SQLite side of the differential test: documents as JSON text in `docs(k, doc)`, and filters,
 * orders and aggregates written with json_type / json_extract / json_each so that they encode
 * Planck's documented semantics (docs/query.md) independently of Planck's code:
 * - a leaf is (type, value) from json_type / json_extract; a SQL NULL type means "missing";
 * - dates are stored as text "\u0001" + 15-digit milliseconds, so they sort by time and never
 *   compare equal to a string; booleans have the json types 'true' / 'false';
 * - comparisons only match leaves of the value's own type; `eq null` also matches missing;
 * - an array leaf matches when the array itself or any element does (json_each), a path through
 *   an array of objects fans out to each element (items.qty), and ne / nin / `exists false` are the
 *   negations of eq / in / `exists true` over all leaves;
 * - orders and group keys rank types missing < null < numbers < strings < booleans < dates.
 */
import { DatabaseSync } from "node:sqlite";
import type { Aggregate, Document, Filter, OrderBy, Value } from "../../../protocol/query_document.ts";

const DATE_MARK = "\u0001";

/** A document's JSON for SQLite: dates become marked, time-ordered strings. */
export function toJson(value: Value | undefined): unknown {
  if (value instanceof Date) return DATE_MARK + String(value.getTime()).padStart(15, "0");
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, toJson(v)]));
  }
  return value;
}

/** A JS value back from a SQL (type, value) pair. */
export function fromSql(type: unknown, value: unknown): Value {
  if (type === null || type === "null") return null;
  if (type === "true" || type === "false") return type === "true";
  if (typeof value === "string" && value.startsWith(DATE_MARK)) return new Date(Number(value.slice(1)));
  return value as Value;
}

function literal(value: Value): string {
  const json = toJson(value);
  if (typeof json === "string") return `'${json.replaceAll("'", "''")}'`;
  return String(json);
}

function jsonPath(path: string): string {
  return "$" + path.split(".").map((s) => /^[0-9]+$/.test(s) ? `[${s}]` : `."${s}"`).join("");
}

type LeafTest = (type: string, value: string) => string;

const IS_NUMBER = (t: string) => `(${t} IS 'integer' OR ${t} IS 'real')`;
const IS_STRING = (t: string, v: string) => `(${t} IS 'text' AND substr(${v}, 1, 1) <> char(1))`;
const IS_DATE = (t: string, v: string) => `(${t} IS 'text' AND substr(${v}, 1, 1) = char(1))`;

/** The type check of a value's own type, and the SQL expression its leaves compare by. */
function sameType(value: Value, t: string, v: string): [string, string] {
  if (value === null) return [`${t} IS 'null'`, "0"];
  if (typeof value === "number") return [IS_NUMBER(t), v];
  if (typeof value === "string") return [IS_STRING(t, v), v];
  if (typeof value === "boolean") return [`(${t} IS 'true' OR ${t} IS 'false')`, `(${t} IS 'true')`];
  return [IS_DATE(t, v), v];
}

function comparison(op: string, value: Value): LeafTest {
  const sql = { gt: ">", gte: ">=", lt: "<", lte: "<=", eq: "=" }[op]!;
  return (t, v) => {
    const [check, by] = sameType(value, t, v);
    const bound = value === null ? "0" : typeof value === "boolean" ? (value ? "1" : "0") : literal(value);
    return `(${check} AND ${by} ${sql} ${bound})`;
  };
}

function equals(value: Value): LeafTest {
  if (value === null) return (t) => `(${t} IS NULL OR ${t} IS 'null')`;
  return comparison("eq", value);
}

/** Any leaf the path reaches passes `test`; `elements`: array leaves also pass when an element does. */
function anyLeaf(path: string, test: LeafTest, elements = true): string {
  const fan = path.split(".");
  if (path === "key") return `COALESCE(${test("'text'", "k")}, 0)`;
  if (fan.length === 2 && fan[0] === "items") {
    const sub = jsonPath(fan[1]);
    const inner = `CASE WHEN it.type = 'object' THEN ${
      leaf(
        `json_type(it.value, '${sub}')`,
        `json_extract(it.value, '${sub}')`,
        test,
        elements,
        `json_extract(it.value, '${sub}')`,
      )
    } ELSE COALESCE(${test("NULL", "NULL")}, 0) END`;
    return `(CASE WHEN json_type(doc, '$.items') = 'array' AND json_array_length(doc, '$.items') > 0
      THEN EXISTS (SELECT 1 FROM json_each(doc, '$.items') it WHERE ${inner})
      ELSE COALESCE(${test("NULL", "NULL")}, 0) END)`;
  }
  const p = jsonPath(path);
  return leaf(
    `json_type(doc, '${p}')`,
    `json_extract(doc, '${p}')`,
    test,
    elements,
    `json_extract(doc, '${p}')`,
  );
}

function leaf(t: string, v: string, test: LeafTest, elements: boolean, json: string): string {
  const self = `COALESCE(${test(t, v)}, 0)`;
  if (!elements) return self;
  return `(${self} OR (${t} IS 'array' AND EXISTS (SELECT 1 FROM json_each(${json}) e WHERE COALESCE(${
    test("e.type", "e.value")
  }, 0))))`;
}

/** The SQL condition of a Planck filter. */
export function sqlFilter(filter: Filter): string {
  if ("and" in filter) return filter.and.length === 0 ? "1" : `(${filter.and.map(sqlFilter).join(" AND ")})`;
  if ("or" in filter) return filter.or.length === 0 ? "0" : `(${filter.or.map(sqlFilter).join(" OR ")})`;
  if ("not" in filter) return `(NOT ${sqlFilter(filter.not)})`;
  const path = filter.field;
  switch (filter.op) {
    case "eq":
      return anyLeaf(path, equals(filter.value));
    case "ne":
      return `(NOT ${anyLeaf(path, equals(filter.value))})`;
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      return anyLeaf(path, comparison(filter.op, filter.value));
    case "in":
    case "nin": {
      const tests = filter.values.map(equals);
      const any = tests.length === 0
        ? "0"
        : anyLeaf(path, (t, v) => `(${tests.map((f) => f(t, v)).join(" OR ")})`);
      return filter.op === "in" ? any : `(NOT ${any})`;
    }
    case "between": {
      const [low, high] = [comparison("gte", filter.low), comparison("lte", filter.high)];
      return anyLeaf(path, (t, v) => `(${low(t, v)} AND ${high(t, v)})`);
    }
    case "exists": {
      const present = anyLeaf(path, (t) => `(${t} IS NOT NULL)`, false);
      return filter.value ? present : `(NOT ${present})`;
    }
    case "contains": {
      const value = filter.value;
      const eq = equals(value);
      return anyLeaf(path, (t, v) => {
        const inArray = `(${t} IS 'array' AND EXISTS (SELECT 1 FROM json_each(${v}) c WHERE COALESCE(${
          eq("c.type", "c.value")
        }, 0)))`;
        if (typeof value !== "string") return inArray;
        return `(${inArray} OR (${IS_STRING(t, v)} AND instr(${v}, ${literal(value)}) > 0))`;
      }, false);
    }
    case "startsWith":
      return anyLeaf(
        path,
        (t, v) =>
          `(${IS_STRING(t, v)} AND substr(${v}, 1, ${Array.from(filter.value).length}) = ${
            literal(filter.value)
          })`,
      );
    case "regex":
      return anyLeaf(
        path,
        (t, v) =>
          `(${IS_STRING(t, v)} AND regex_test(${literal(filter.pattern)}, ${
            literal(filter.flags ?? "")
          }, ${v}))`,
      );
  }
}

/** The rank of a strict path's value in the total order (missing 0, null 1, …), and the value. */
function ranked(path: string, mergeMissing: boolean): [string, string, string] {
  if (path === "key") return ["3", "k", "'text'"];
  const p = jsonPath(path);
  const t = `json_type(doc, '${p}')`;
  const v = `json_extract(doc, '${p}')`;
  const rank = `(CASE WHEN ${t} IS NULL THEN ${mergeMissing ? 1 : 0} WHEN ${t} = 'null' THEN 1
    WHEN ${t} IN ('integer', 'real') THEN 2 WHEN ${t} = 'text' AND substr(${v}, 1, 1) = char(1) THEN 9
    WHEN ${t} = 'text' THEN 3 WHEN ${t} = 'object' THEN 4 WHEN ${t} = 'array' THEN 5 ELSE 8 END)`;
  return [rank, `(CASE WHEN ${t} IS NULL OR ${t} = 'null' THEN NULL ELSE ${v} END)`, t];
}

/** ORDER BY terms for a Planck orderBy (ties by key ascending, as Planck breaks them). */
export function sqlOrder(orderBy: readonly OrderBy[]): string {
  const terms = orderBy.flatMap((o) => {
    const [rank, value] = ranked(o.field, false);
    const dir = o.direction === "desc" ? "DESC" : "ASC";
    return [`${rank} ${dir}`, `${value} ${dir}`];
  });
  return [...terms, "k ASC"].join(", ");
}

/** The SQLite side: one table of JSON documents. */
export class SqlModel {
  readonly db = new DatabaseSync(":memory:");

  constructor() {
    this.db.exec("CREATE TABLE docs (k TEXT PRIMARY KEY, doc TEXT NOT NULL)");
    this.db.function("regex_test", { deterministic: true }, (pattern, flags, value) => {
      return typeof value === "string" && new RegExp(String(pattern), String(flags)).test(value) ? 1 : 0;
    });
  }

  insert(key: string, doc: Document): void {
    this.db.prepare("INSERT INTO docs (k, doc) VALUES (?, ?)").run(key, JSON.stringify(toJson(doc)));
  }

  /** Keys matching `where`, in `order`. */
  keys(where: string, order: string): string[] {
    return this.db.prepare(`SELECT k FROM docs WHERE ${where} ORDER BY ${order}`).all().map((row) =>
      row.k as string
    );
  }

  count(where: string): number {
    return Number(this.db.prepare(`SELECT COUNT(*) AS c FROM docs WHERE ${where}`).get()!.c);
  }

  /** Aggregate rows with Planck's row shape. */
  aggregate(where: string, groupBy: readonly string[], aggregates: Record<string, Aggregate>): Document[] {
    const columns: string[] = [];
    groupBy.forEach((path, i) => {
      const [rank, value, type] = ranked(path, true);
      columns.push(`${rank} AS r${i}`, `${value} AS v${i}`, `${type} AS t${i}`);
    });
    const outputs = Object.entries(aggregates).map(([alias, a], i) => {
      if (a.fn === "count") return `COUNT(*) AS x${i}`;
      const [, value, type] = ranked(a.field!, true);
      const numeric = `(CASE WHEN ${type} IN ('integer', 'real') THEN ${value} END)`;
      const sql =
        { sum: `SUM(${numeric})`, avg: `AVG(${numeric})`, min: `MIN(${value})`, max: `MAX(${value})` }[a.fn];
      return `${sql} AS x${i} /* ${alias} */`;
    });
    const group = groupBy.length === 0 ? "" : `GROUP BY ${groupBy.map((_, i) => `r${i}, v${i}`).join(", ")}`;
    const order = groupBy.length === 0 ? "" : `ORDER BY ${groupBy.map((_, i) => `r${i}, v${i}`).join(", ")}`;
    const select = [...groupBy.map((_, i) => `t${i}, v${i}`), ...outputs].join(", ");
    const sql = `SELECT ${select} FROM (SELECT *, ${columns.length === 0 ? "1 AS one" : columns.join(", ")}
      FROM docs WHERE ${where}) ${group} ${order}`;
    return this.db.prepare(sql).all().map((row) => {
      const out: Document = { group: {} };
      groupBy.forEach((path, i) => ((out.group as Document)[path] = fromSql(row[`t${i}`], row[`v${i}`])));
      Object.entries(aggregates).forEach(([alias, a], i) => {
        const x = row[`x${i}`] as Value;
        if (a.fn === "sum") out[alias] = x ?? 0;
        else if (a.fn === "min" || a.fn === "max") out[alias] = x === null ? null : fromSql("text", x);
        else out[alias] = x === undefined ? null : x;
      });
      return out;
    });
  }
}
