/**
 * PQL method chains: `store.method(…).method(…)…` → one query document.
 *
 * Invariants: each clause appears at most once (`pluck` and `select` are one clause); methods may
 * come in any order, but every method must fit the same query kind: each method allows a set of
 * kinds (a bitmask) and the chain's kind is the intersection, so a method that empties it is an
 * error naming the earlier method it conflicts with; a chain of only `filter`/`range` (or none) is a
 * find. Documents never carry undefined fields.
 */
import type {
  Aggregate,
  AggregateFn,
  Document,
  OrderBy,
  QueryDocument,
} from "../../protocol/query_document.ts";
import type { Token } from "./lexer.ts";
import { describe, type TokenStream } from "./token_stream.ts";
import { parseFilter, parsePath } from "./filter_parser.ts";
import { defineField, parseArray, parseCount, parseDocument, parseKey } from "./value_parser.ts";
import { buildQuery, type Clauses, Kind, type MethodSpec } from "./chain_build.ts";

const AGGREGATE_FNS: ReadonlySet<string> = new Set<AggregateFn>(["count", "sum", "avg", "min", "max"]);
/** The field every aggregate row uses for its group; an alias may not shadow it. */
const GROUP_FIELD = "group";

/** Parses `path, …` (at least one). */
function paths(ts: TokenStream, method: string): string[] {
  const list = [parsePath(ts, `after '${method}('`)];
  while (ts.acceptPunct(",")) list.push(parsePath(ts, "after ','"));
  return list;
}

function parseOrderBy(ts: TokenStream): OrderBy[] {
  const list: OrderBy[] = [];
  do {
    const field = parsePath(ts, list.length === 0 ? "after 'orderBy('" : "after ','");
    const direction = ts.acceptKeyword("desc") ? "desc" : "asc";
    if (direction === "asc") ts.acceptKeyword("asc");
    list.push({ field, direction });
  } while (ts.acceptPunct(","));
  return list;
}

function parseRange(ts: TokenStream): { from?: string; to?: string } {
  const range: { from?: string; to?: string } = {};
  if (!ts.acceptKeyword("null")) range.from = parseKey(ts, "or null after 'range('");
  if (ts.acceptPunct(",") && !ts.acceptKeyword("null")) range.to = parseKey(ts, "or null after ','");
  return range;
}

/** Parses `alias: fn(field), …` (at least one). */
function parseAggregates(ts: TokenStream): Record<string, Aggregate> {
  const aggregates: Record<string, Aggregate> = {};
  do {
    const alias = ts.peek();
    const name = alias.kind === "ident" || alias.kind === "string"
      ? (alias.value as string ?? alias.text)
      : "";
    if (name === "") throw ts.fail("an alias such as 'total' (alias: fn(field))");
    if (name === GROUP_FIELD) throw ts.fail("an alias other than 'group' (each row has a 'group' field)");
    if (Object.hasOwn(aggregates, name)) {
      throw ts.failAt(alias, "each alias once", `${describe(alias)} again`);
    }
    ts.next();
    ts.expectPunct(":", `':' after the alias ${describe(alias)}`);
    const fnToken = ts.peek();
    if (fnToken.kind !== "ident" || !AGGREGATE_FNS.has(fnToken.text)) {
      throw ts.fail(`an aggregate function (count, sum, avg, min, max) after '${name}:'`);
    }
    const fn = ts.next().text as AggregateFn;
    ts.expectPunct("(", `'(' after '${fn}'`);
    const aggregate: Aggregate = fn === "count" ? { fn } : { fn, field: parsePath(ts, `after '${fn}('`) };
    ts.expectPunct(")", `')' to close '${fn}('`);
    defineField(aggregates, { field: name, value: aggregate });
  } while (ts.acceptPunct(","));
  return aggregates;
}

/** Parses `{…}` or `[{…}, …]` (at least one document). */
function parseDocuments(ts: TokenStream): Document[] {
  if (!ts.isPunct("[")) return [parseDocument(ts, "or '[' after 'insert('")];
  if (ts.peekAt(1).text === "]") throw ts.failAt(ts.peekAt(1), "at least one document in the list");
  return parseArray(ts, "after 'insert('", { element: (ts, context) => parseDocument(ts, context) });
}

/** Parses `{…}` with at least one field. */
function parseChanges(ts: TokenStream, method: string): Document {
  if (ts.isPunct("{") && ts.peekAt(1).text === "}") {
    throw ts.failAt(ts.peekAt(1), "a field name in double quotes");
  }
  return parseDocument(ts, `after '${method}('`);
}

function parseIncrements(ts: TokenStream): Record<string, number> {
  if (ts.isPunct("{") && ts.peekAt(1).text === "}") {
    throw ts.failAt(ts.peekAt(1), "a field name in double quotes");
  }
  const value = (ts: TokenStream, context: string): number => {
    const token = ts.peek();
    if (token.kind !== "number" || typeof token.value !== "number") throw ts.fail(`a number ${context}`);
    return ts.next().value as number;
  };
  return parseDocument(ts, "after 'inc('", { value });
}

const READS = Kind.find | Kind.count | Kind.aggregate | Kind.update | Kind.delete;

/** One row of the method table. */
function method(clause: string, kinds: number, parse: MethodSpec["parse"]): MethodSpec {
  return { clause, kinds, parse };
}

/** Every method: the clause it fills, the query kinds it fits, and its argument parser. */
const METHODS: ReadonlyMap<string, MethodSpec> = new Map<string, MethodSpec>([
  ["filter", method("filter", READS, (ts, c) => c.filter = parseFilter(ts))],
  ["range", method("range", READS, (ts, c) => c.range = parseRange(ts))],
  ["orderBy", method("orderBy", Kind.find, (ts, c) => c.orderBy = parseOrderBy(ts))],
  ["after", method("after", Kind.find, (ts, c) => c.after = parseKey(ts, "after 'after('"))],
  ["skip", method("skip", Kind.find, (ts, c) => c.skip = parseCount(ts, "after 'skip('"))],
  ["limit", method("limit", Kind.find, (ts, c) => c.limit = parseCount(ts, "after 'limit('"))],
  ["pluck", method("pluck", Kind.find, (ts, c) => c.select = paths(ts, "pluck"))],
  ["select", method("pluck", Kind.find, (ts, c) => c.select = paths(ts, "select"))],
  ["exclude", method("exclude", Kind.find, (ts, c) => c.exclude = paths(ts, "exclude"))],
  ["count", method("count", Kind.count, () => {})],
  ["groupBy", method("groupBy", Kind.aggregate, (ts, c) => c.groupBy = paths(ts, "groupBy"))],
  ["aggregate", method("aggregate", Kind.aggregate, (ts, c) => c.aggregates = parseAggregates(ts))],
  ["get", method("get", Kind.get, (ts, c) => c.key = parseKey(ts, "after 'get('"))],
  ["insert", method("insert", Kind.insert, (ts, c) => c.documents = parseDocuments(ts))],
  ["set", method("set", Kind.update, (ts, c) => c.set = parseChanges(ts, "set"))],
  ["unset", method("unset", Kind.update, (ts, c) => c.unset = paths(ts, "unset"))],
  ["inc", method("inc", Kind.update, (ts, c) => c.inc = parseIncrements(ts))],
  [
    "replace",
    method("replace", Kind.replace, (ts, c) => {
      c.key = parseKey(ts, "after 'replace('");
      ts.expectPunct(",", "',' after the key");
      c.document = parseDocument(ts, "after the key");
    }),
  ],
  // delete() fits a filtered delete; delete(key) only a delete by key (narrowed after parsing).
  [
    "delete",
    method("delete", Kind.delete | Kind.deleteKey, (ts, c) => {
      if (!ts.isPunct(")")) c.key = parseKey(ts, "or ')' after 'delete('");
    }),
  ],
]);
const METHODS_EXPECTED = `a method (${[...METHODS.keys()].join(", ")})`;
/** Clauses that exclude each other although they fit the same kind. */
const EXCLUSIVE_CLAUSES: ReadonlyMap<string, string> = new Map([["pluck", "exclude"], ["exclude", "pluck"]]);

/** How a clause reads in a message: `'limit'`, or `'pluck'/'select'` for the clause with two names. */
function clauseName(clause: string): string {
  return clause === "pluck" ? "'pluck'/'select'" : `'${clause}'`;
}

/** One method call seen in the chain. */
interface Call {
  token: Token;
  kinds: number;
}

/** The earlier call that leaves no kind in common with `kinds`. */
function conflictOf(calls: Call[], kinds: number): Call | undefined {
  return calls.find((call) => (call.kinds & kinds) === 0);
}

/**
 * Parses the methods of a chain after its store name.
 * @param store the store name, already read
 * @param options.explain true after `explain`: only find, count, aggregate, update and delete are allowed
 */
export function parseChain(ts: TokenStream, store: string, options: { explain: boolean }): QueryDocument {
  const clauses: Clauses = {};
  const seen = new Map<string, Token>();
  const calls: Call[] = [];
  let kinds: number = Kind.all;
  while (ts.acceptPunct(".")) {
    const token = ts.peek();
    const spec = token.kind === "ident" ? METHODS.get(token.text) : undefined;
    if (spec === undefined) throw ts.fail(`${METHODS_EXPECTED} after '.'`);
    if (seen.has(spec.clause)) {
      throw ts.failAt(
        token,
        `at most one ${clauseName(spec.clause)} clause`,
        `another '${token.text}'`,
      );
    }
    const exclusive = EXCLUSIVE_CLAUSES.get(spec.clause);
    const other = exclusive === undefined ? undefined : seen.get(exclusive);
    const conflict = other !== undefined ? { token: other, kinds: 0 } : conflictOf(calls, spec.kinds);
    if (conflict !== undefined) throw ts.fail(`a method that can be combined with '${conflict.token.text}'`);
    ts.next();
    seen.set(spec.clause, token);
    ts.expectPunct("(", `'(' after '${token.text}'`);
    spec.parse(ts, clauses);
    ts.expectPunct(")", `')' to close '${token.text}('`);
    let own = spec.kinds;
    if (spec.clause === "delete") own = clauses.key === undefined ? Kind.delete : Kind.deleteKey;
    const keyed = conflictOf(calls, own);
    if (keyed !== undefined) throw ts.failAt(token, `'delete()' without a key after '${keyed.token.text}'`);
    calls.push({ token, kinds: own });
    kinds &= own;
  }
  if (calls.length === 0 && ts.isPunct("(")) throw ts.fail("'.' and a method after the store name");
  const query = buildQuery(store, clauses, kinds, ts);
  if (options.explain && (kinds & (READS | Kind.deleteKey)) === 0) {
    const decider = calls.find((call) => (call.kinds & READS) === 0)!;
    throw ts.failAt(decider.token, "a find, count, aggregate, update or delete after 'explain'");
  }
  return query;
}
