/**
 * Validation of untrusted query documents (wire protocol, PQL, host calls) before planning: every
 * field of every op is checked, unknown fields are rejected, keys are canonicalized. Errors are
 * PlanckError `invalid_argument` (shape) or `limit_exceeded` (a named bound), with `field` naming
 * the offending path inside the query document ("filter.and.1.op", "aggregates.total.field").
 *
 * Invariants: the result is a fresh QueryDocument holding only known fields (values and documents
 * are shared with the input, not copied); `validateQuery(validateQuery(x))` deep-equals
 * `validateQuery(x)`. Shorthand filters are not accepted here: see shorthand.ts.
 */
import {
  type Aggregate,
  type AggregateQuery,
  type DeleteQuery,
  type Document,
  type ExplainQuery,
  FIND_CLAUSES,
  type FindQuery,
  type IndexField,
  type OrderBy,
  type QueryDocument,
  READ_CLAUSES,
  type ReadShape,
} from "../../protocol/query_document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { decodeFields, fieldNames } from "../bson_fields.ts";
import { decodeDocument } from "../document.ts";
import { GROUP_OPS_MAX, STORE_NAME_BYTES_MAX } from "../limits.ts";
import {
  AGGREGATES_MAX,
  GROUP_BY_FIELDS_MAX,
  INDEX_FIELDS_MAX,
  INDEX_NAME_LENGTH_MAX,
  ORDER_BY_FIELDS_MAX,
  PROJECTION_FIELDS_MAX,
} from "./limits.ts";
import { validateFilter } from "./validate_filter.ts";
import { validateUpdate } from "./validate_update.ts";
import {
  checkKey,
  checkPath,
  checkValue,
  expectArray,
  expectBoolean,
  expectCount,
  expectOneOf,
  expectRecord,
  expectString,
  invalid,
  join,
  tooMany,
} from "./validate_value.ts";

/** Every query op. */
export const QUERY_OPS = [
  "find",
  "get",
  "count",
  "aggregate",
  "update",
  "delete",
  "insert",
  "replace",
  "explain",
  "createStore",
  "dropStore",
  "createIndex",
  "dropIndex",
  "showStores",
  "showIndexes",
] as const;

const READ_FIELDS = ["op", "store", ...READ_CLAUSES];
const AGGREGATE_FNS = ["count", "sum", "avg", "min", "max"] as const;
const EXPLAINABLE_OPS = ["find", "count", "aggregate", "update", "delete"] as const;
const encoder = new TextEncoder();

/** Checks a store name: a non-empty string of at most STORE_NAME_BYTES_MAX UTF-8 bytes. */
export function checkStoreName(input: unknown, field = "store"): string {
  const name = expectString(input, field);
  const bytes = encoder.encode(name).length;
  if (bytes > STORE_NAME_BYTES_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Store name of ${bytes} bytes exceeds STORE_NAME_BYTES_MAX (${STORE_NAME_BYTES_MAX})`,
      { field, limit: "STORE_NAME_BYTES_MAX" },
    );
  }
  return name;
}

function has(input: Record<string, unknown>, name: string): boolean {
  return input[name] !== undefined;
}

function checkPaths(input: unknown, field: string, limit: string, max: number, unique: boolean): string[] {
  const paths = expectArray(input, field, limit, max).map((p, i) => checkPath(p, join(field, i)));
  if (unique) {
    const seen = new Set<string>();
    paths.forEach((p, i) => {
      if (seen.has(p)) throw invalid(join(field, i), `Duplicate field "${p}" in "${field}"`);
      seen.add(p);
    });
  }
  return paths;
}

/** The shared read parts: store, filter, range. */
function readShape(input: Record<string, unknown>): ReadShape {
  const shape: ReadShape = { store: checkStoreName(input.store) };
  if (has(input, "filter")) shape.filter = validateFilter(input.filter, "filter");
  if (has(input, "range")) {
    const range = expectRecord(input.range, "range", ["from", "to"]);
    shape.range = {};
    if (has(range, "from")) shape.range.from = checkKey(range.from, "range.from");
    if (has(range, "to")) shape.range.to = checkKey(range.to, "range.to");
  }
  return shape;
}

function orderBy(input: unknown): OrderBy[] {
  return expectArray(input, "orderBy", "ORDER_BY_FIELDS_MAX", ORDER_BY_FIELDS_MAX).map((entry, i) => {
    const at = join("orderBy", i);
    const o = expectRecord(entry, at, ["field", "direction"]);
    return {
      field: checkPath(o.field, join(at, "field")),
      direction: expectOneOf(o.direction, join(at, "direction"), ["asc", "desc"]),
    };
  });
}

function find(input: Record<string, unknown>): FindQuery {
  expectRecord(input, "", [...READ_FIELDS, ...FIND_CLAUSES]);
  const query: FindQuery = { op: "find", ...readShape(input) };
  if (has(input, "orderBy")) query.orderBy = orderBy(input.orderBy);
  if (has(input, "after")) query.after = checkKey(input.after, "after");
  if (has(input, "skip")) query.skip = expectCount(input.skip, "skip");
  if (has(input, "limit")) query.limit = expectCount(input.limit, "limit");
  for (const name of ["select", "exclude"] as const) {
    if (has(input, name)) {
      query[name] = checkPaths(input[name], name, "PROJECTION_FIELDS_MAX", PROJECTION_FIELDS_MAX, false);
    }
  }
  return query;
}

function aggregateEntry(input: unknown, field: string): Aggregate {
  const entry = expectRecord(input, field, ["fn", "field"]);
  const fn = expectOneOf(entry.fn, join(field, "fn"), AGGREGATE_FNS);
  if (fn === "count") {
    if (has(entry, "field")) {
      throw invalid(join(field, "field"), `Invalid "${join(field, "field")}": count() takes no field`);
    }
    return { fn };
  }
  if (!has(entry, "field")) {
    throw invalid(join(field, "field"), `Invalid "${join(field, "field")}": ${fn}() needs a field`);
  }
  return { fn, field: checkPath(entry.field, join(field, "field")) };
}

function aggregate(input: Record<string, unknown>): AggregateQuery {
  expectRecord(input, "", [...READ_FIELDS, "groupBy", "aggregates"]);
  const query: AggregateQuery = { op: "aggregate", ...readShape(input), aggregates: {} };
  if (has(input, "groupBy")) {
    query.groupBy = checkPaths(input.groupBy, "groupBy", "GROUP_BY_FIELDS_MAX", GROUP_BY_FIELDS_MAX, true);
  }
  const aggregates = expectRecord(input.aggregates, "aggregates");
  const aliases = Object.keys(aggregates);
  if (aliases.length === 0) {
    throw invalid("aggregates", `Invalid "aggregates": expected at least one aggregate`);
  }
  if (aliases.length > AGGREGATES_MAX) {
    throw tooMany("aggregates", `"aggregates"`, "AGGREGATES_MAX", AGGREGATES_MAX, aliases.length);
  }
  for (const alias of aliases) {
    const at = join("aggregates", alias);
    if (alias === "group" || alias === "__proto__" || alias === "") {
      throw invalid(at, `Invalid aggregate name "${alias}": reserved`);
    }
    query.aggregates[alias] = aggregateEntry(aggregates[alias], at);
  }
  return query;
}

/** The one field of an inserted document read before it is stored (`key`: its key, not a field). */
const KEY_FIELD = fieldNames(["key"]);

/**
 * An inserted document: a record checked value by value, or BSON bytes without a `key` field,
 * kept as they are (stored unchanged after stage_write.ts checks them as caller-supplied BSON);
 * bytes with a `key` field are decoded and checked as a record.
 */
function insertedAt(input: unknown, field: string): Document | Uint8Array {
  if (!(input instanceof Uint8Array)) return documentAt(input, field);
  const fields = decodeFields(input, KEY_FIELD);
  if (fields !== null && !has(fields, "key")) return input;
  let doc: Document;
  try {
    doc = decodeDocument(input);
  } catch (error) {
    throw invalid(field, `Invalid "${field}": not a BSON document (${(error as Error).message})`);
  }
  return documentAt(doc, field);
}

function documentAt(input: unknown, field: string): Document {
  const doc = expectRecord(input, field);
  for (const name of Object.keys(doc)) checkValue(doc[name], join(field, name), 1);
  if (!has(doc, "key")) return doc as Document;
  const key = checkKey(doc.key, join(field, "key"));
  return key === doc.key ? doc as Document : { ...doc as Document, key };
}

function remove(input: Record<string, unknown>): DeleteQuery {
  expectRecord(input, "", [...READ_FIELDS, "key"]);
  const query: DeleteQuery = { op: "delete", ...readShape(input) };
  if (has(input, "key")) query.key = checkKey(input.key, "key");
  return query;
}

function indexFields(input: unknown): IndexField[] {
  const fields = expectArray(input, "fields", "INDEX_FIELDS_MAX", INDEX_FIELDS_MAX);
  if (fields.length === 0) throw invalid("fields", `Invalid "fields": an index needs at least one field`);
  const result = fields.map((entry, i) => {
    const at = join("fields", i);
    const f = expectRecord(entry, at, ["path", "direction"]);
    return {
      path: checkPath(f.path, join(at, "path")),
      direction: expectOneOf(f.direction, join(at, "direction"), ["asc", "desc"]),
    };
  });
  checkPaths(result.map((f) => f.path), "fields", "INDEX_FIELDS_MAX", INDEX_FIELDS_MAX, true);
  return result;
}

function indexName(input: unknown): string {
  const name = expectString(input, "name");
  if (name.length > INDEX_NAME_LENGTH_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Index name of ${name.length} characters exceeds INDEX_NAME_LENGTH_MAX (${INDEX_NAME_LENGTH_MAX})`,
      { field: "name", limit: "INDEX_NAME_LENGTH_MAX" },
    );
  }
  return name;
}

function insert(input: Record<string, unknown>): QueryDocument {
  expectRecord(input, "", ["op", "store", "documents"]);
  const docs = expectArray(input.documents, "documents", "GROUP_OPS_MAX", GROUP_OPS_MAX);
  if (docs.length === 0) throw invalid("documents", `Invalid "documents": expected at least one document`);
  return {
    op: "insert",
    store: checkStoreName(input.store),
    documents: docs.map((d, i) => insertedAt(d, join("documents", i))),
  };
}

function replace(input: Record<string, unknown>): QueryDocument {
  expectRecord(input, "", ["op", "store", "key", "document"]);
  const key = checkKey(input.key, "key");
  const document = documentAt(input.document, "document");
  if (has(document, "key") && document.key !== key) {
    throw invalid("document.key", `Invalid "document.key": "${document.key}" differs from the key "${key}"`);
  }
  return { op: "replace", store: checkStoreName(input.store), key, document };
}

function explain(input: Record<string, unknown>): ExplainQuery {
  expectRecord(input, "", ["op", "query"]);
  const inner = expectRecord(input.query, "query");
  expectOneOf(inner.op, "query.op", EXPLAINABLE_OPS);
  try {
    return { op: "explain", query: validateQuery(inner) as ExplainQuery["query"] };
  } catch (error) {
    if (!(error instanceof PlanckError)) throw error;
    const field = error.location.field === undefined ? "query" : join("query", error.location.field);
    throw new PlanckError(error.code, error.message, { ...error.location, field }, { cause: error });
  }
}

function storeOnly(
  input: Record<string, unknown>,
  op: "createStore" | "dropStore" | "showIndexes",
): QueryDocument {
  expectRecord(input, "", ["op", "store"]);
  return { op, store: checkStoreName(input.store) };
}

/**
 * Validates an untrusted query document.
 * @returns a fresh, canonical QueryDocument
 * @throws PlanckError `invalid_argument` or `limit_exceeded` with `field` set
 */
export function validateQuery(input: unknown): QueryDocument {
  const query = expectRecord(input, "");
  const op = expectOneOf(query.op, "op", QUERY_OPS);
  switch (op) {
    case "find":
      return find(query);
    case "get":
      expectRecord(query, "", ["op", "store", "key"]);
      return { op, store: checkStoreName(query.store), key: checkKey(query.key, "key") };
    case "count":
      expectRecord(query, "", READ_FIELDS);
      return { op, ...readShape(query) };
    case "aggregate":
      return aggregate(query);
    case "update":
      expectRecord(query, "", [...READ_FIELDS, "key", "set", "unset", "inc"]);
      return validateUpdate(query, readShape(query));
    case "delete":
      return remove(query);
    case "insert":
      return insert(query);
    case "replace":
      return replace(query);
    case "explain":
      return explain(query);
    case "createStore":
    case "dropStore":
    case "showIndexes":
      return storeOnly(query, op);
    case "createIndex":
      expectRecord(query, "", ["op", "name", "store", "fields", "unique"]);
      return {
        op,
        name: indexName(query.name),
        store: checkStoreName(query.store),
        fields: indexFields(query.fields),
        unique: expectBoolean(query.unique, "unique"),
      };
    case "dropIndex":
      expectRecord(query, "", ["op", "name"]);
      return { op, name: indexName(query.name) };
    case "showStores":
      expectRecord(query, "", ["op"]);
      return { op };
  }
}
