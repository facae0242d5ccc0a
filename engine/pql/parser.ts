/**
 * The PQL statement parser: one statement from a token stream → one query document. Statements are
 * a method chain on a store (reads and writes), `explain <chain>`, or a definition
 * (`create`/`drop` store or index) or introspection (`show stores`, `show indexes on s`).
 *
 * Invariants: store and index names are identifiers that are not keywords and fit
 * STORE_NAME_BYTES_MAX; the parser stops after the statement's last token (the caller decides what
 * may follow); only PqlSyntaxError and PlanckError `limit_exceeded` leave it.
 */
import { STORE_NAME_BYTES_MAX } from "../limits.ts";
import type { ExplainQuery, IndexField, QueryDocument } from "../../protocol/query_document.ts";
import { limitError } from "./errors.ts";
import { parseChain } from "./chain_parser.ts";
import { parsePath } from "./filter_parser.ts";
import { describe, type TokenStream } from "./token_stream.ts";

const STATEMENT_EXPECTED = "a statement (a store name, explain, create, drop or show)";

/**
 * Parses a store or index name: an identifier that is not a keyword.
 * @param what names the thing in messages, e.g. "a store name after 'create store'"
 */
function parseName(ts: TokenStream, what: string): string {
  const token = ts.peek();
  if (token.kind !== "ident") throw ts.fail(what);
  if (token.keyword !== undefined) throw ts.failAt(token, what, `the keyword ${describe(token)}`);
  if (token.text.length > STORE_NAME_BYTES_MAX) {
    throw limitError(ts.text, token.start, {
      expected: `a name of at most ${STORE_NAME_BYTES_MAX} bytes`,
      found: `${token.text.length} bytes`,
      limit: "STORE_NAME_BYTES_MAX",
    });
  }
  return ts.next().text;
}

/** Parses `(path [asc|desc], …)` of an index definition. */
function parseIndexFields(ts: TokenStream): IndexField[] {
  ts.expectPunct("(", "'(' after the store name");
  const fields: IndexField[] = [];
  do {
    const path = parsePath(ts, fields.length === 0 ? "after '('" : "after ','");
    const direction = ts.acceptKeyword("desc") ? "desc" : "asc";
    if (direction === "asc") ts.acceptKeyword("asc");
    fields.push({ path, direction });
  } while (ts.acceptPunct(","));
  ts.expectPunct(")", "',' or ')' after the index field");
  return fields;
}

/** Parses what follows `create`. */
function parseCreate(ts: TokenStream): QueryDocument {
  if (ts.acceptKeyword("store")) {
    return { op: "createStore", store: parseName(ts, "a store name after 'store'") };
  }
  const unique = ts.acceptKeyword("unique");
  ts.expectKeyword(
    "index",
    unique ? "'index' after 'unique'" : "'store', 'index' or 'unique index' after 'create'",
  );
  const name = parseName(ts, "an index name after 'index'");
  ts.expectKeyword("on", "'on' after the index name");
  const store = parseName(ts, "a store name after 'on'");
  return { op: "createIndex", name, store, fields: parseIndexFields(ts), unique };
}

/** Parses what follows `drop`. */
function parseDrop(ts: TokenStream): QueryDocument {
  if (ts.acceptKeyword("store")) {
    return { op: "dropStore", store: parseName(ts, "a store name after 'store'") };
  }
  ts.expectKeyword("index", "'store' or 'index' after 'drop'");
  return { op: "dropIndex", name: parseName(ts, "an index name after 'index'") };
}

/** Parses what follows `show`. */
function parseShow(ts: TokenStream): QueryDocument {
  if (ts.acceptKeyword("stores")) return { op: "showStores" };
  ts.expectKeyword("indexes", "'stores' or 'indexes' after 'show'");
  ts.expectKeyword("on", "'on' after 'indexes'");
  return { op: "showIndexes", store: parseName(ts, "a store name after 'on'") };
}

/** Parses `store.method(…)…` after checking the store name. */
function parseStoreChain(ts: TokenStream, explain: boolean): QueryDocument {
  const what = explain ? "a query after 'explain'" : STATEMENT_EXPECTED;
  const token = ts.peek();
  if (token.kind !== "ident") throw ts.fail(what);
  if (token.keyword !== undefined) throw ts.failAt(token, what, `the keyword ${describe(token)}`);
  return parseChain(ts, parseName(ts, what), { explain });
}

/**
 * Parses one statement starting at the current token and stops after its last token.
 * @throws PqlSyntaxError, or PlanckError `limit_exceeded` past a PQL limit
 */
export function parseStatement(ts: TokenStream): QueryDocument {
  const token = ts.peek();
  switch (token.keyword) {
    case "explain":
      ts.next();
      // parseChain allows only the kinds explain can plan when told so.
      return { op: "explain", query: parseStoreChain(ts, true) as ExplainQuery["query"] };
    case "create":
      ts.next();
      return parseCreate(ts);
    case "drop":
      ts.next();
      return parseDrop(ts);
    case "show":
      ts.next();
      return parseShow(ts);
  }
  return parseStoreChain(ts, false);
}
