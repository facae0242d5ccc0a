/**
 * The typed query builder for AssemblyScript services, a subset of the JS tier's (builder/):
 * `store("orders").filter(eq("status", "open")).orderBy("created", "desc").limit(20).find()`.
 * It writes the query documents of protocol/query_document.ts as BSON (the host validates
 * them with validateQuery) and runs them as host calls inside the request's transaction.
 *
 * Differences from the JS builder, forced by the dialect: a StoreQuery is changed in place by
 * each call (build a fresh one per question); there are no predicate closures; a failed query
 * aborts the request (a 500, rolled back) like an uncaught exception in the JS tier — call
 * `query(doc)` to inspect `{ok, error}` instead.
 *
 * Invariants: a chain of filter() calls writes one flat `and` (one filter stands alone); values
 * in changes are written as the BSON type of their AssemblyScript type (filter.ts); the terminals
 * build in one shared writer and send the document before building another, while `build.*()`
 * returns documents of their own.
 */
import { BsonWriter, ITEM } from "./bson";
import { BsonDoc } from "./bson_reader";
import { addValue, and, Filter } from "./filter";
import { hostRequest } from "./host";

/** Document keys: 32 lower-case hex digits. */
const KEY_HEX_DIGITS = 32;
/** First buffer of the terminals' query writer (it grows to the largest document and stays). */
const TERMINAL_BYTES_INITIAL = 1024;

/** Changes of an update: `changes().set("status", "paid").inc("views", 1).unset("draft")`. */
export class Changes {
  readonly sets: BsonWriter = new BsonWriter();
  readonly incs: BsonWriter = new BsonWriter();
  readonly unsets: string[] = [];
  private setCount: i32 = 0;
  private incCount: i32 = 0;

  /** Sets a field (a dotted path creates missing objects). */
  set<T>(path: string, value: T): Changes {
    addValue<T>(this.sets, path, value);
    this.setCount++;
    return this;
  }
  /** Adds `amount` to a number (a missing field becomes `amount`). */
  inc<T>(path: string, amount: T): Changes {
    addValue<T>(this.incs, path, amount);
    this.incCount++;
    return this;
  }
  /** Removes a field. */
  unset(path: string): Changes {
    this.unsets.push(path);
    return this;
  }
  /** Writes the set/unset/inc fields of an update document. */
  writeTo(w: BsonWriter): void {
    if (this.setCount > 0) w.addDocument("set", this.sets.finish());
    if (this.unsets.length > 0) {
      w.startArray("unset");
      for (let i = 0; i < this.unsets.length; i++) w.addString(ITEM, unchecked(this.unsets[i]));
      w.end();
    }
    if (this.incCount > 0) w.addDocument("inc", this.incs.finish());
  }
}

/** A new set of update changes. */
export function changes(): Changes {
  return new Changes();
}

/** A new document writer (for insert and replace). */
export function doc(): BsonWriter {
  return new BsonWriter();
}

/** What update and replace answer. */
export class UpdateResult {
  constructor(
    readonly matched: i32,
    readonly modified: i32,
  ) {}
}

/** A host call's reply: `ok` with the reply document (its `result` field), or an error. */
export class QueryReply {
  readonly reply: BsonDoc;
  readonly ok: bool;
  /** The error code ("not_found", "conflict", "invalid_argument" …), "" when ok. */
  readonly code: string;
  readonly message: string;
  constructor(bytes: Uint8Array) {
    const reply = new BsonDoc(bytes);
    const ok = reply.getBool("ok");
    const error = reply.getDoc("error");
    this.reply = reply;
    this.ok = ok;
    this.code = error === null ? (ok ? "" : "internal") : error.getString("code", "internal");
    this.message = error === null ? "" : error.getString("message");
  }
  /** Aborts the request when the call failed (a 500; the transaction rolls back). */
  check(): QueryReply {
    if (!this.ok) abort("Query failed: " + this.code + ": " + this.message);
    return this;
  }
}

/** Runs one query document (BSON) as a host call; never aborts. */
export function query(document: Uint8Array): QueryReply {
  return new QueryReply(hostRequest(document));
}

/** True when `key` is a document key (32 lower-case hex digits). */
export function isKey(key: string): bool {
  if (key.length != KEY_HEX_DIGITS) return false;
  for (let i = 0; i < KEY_HEX_DIGITS; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * The writer the terminals (find, get, insert …) build their query documents in: reused, because
 * each document is sent as soon as it is finished and the host copies it (hostRequest never calls
 * back into the guest, so no second query is built meanwhile).
 */
const TERMINAL_WRITER = new BsonWriter(TERMINAL_BYTES_INITIAL);

/** Query documents of a StoreQuery, built without running (`q.build.count()`). */
export class QueryDocuments {
  /** `writer` (reset per document) or, when null, a new writer per document. */
  constructor(
    private q: StoreQuery,
    private writer: BsonWriter | null = null,
  ) {}
  find(): Uint8Array {
    const w = this.begin("find");
    this.q.writeFind(w);
    return w.finish();
  }
  count(): Uint8Array {
    const w = this.begin("count");
    this.q.writeRead(w);
    return w.finish();
  }
  get(key: string): Uint8Array {
    return this.begin("get").addString("key", key).finish();
  }
  insert(document: BsonWriter): Uint8Array {
    return this.begin("insert").startArray("documents").addDocument(ITEM, document.finish()).end().finish();
  }
  update(changes: Changes, key: string = ""): Uint8Array {
    const w = this.begin("update");
    if (key.length > 0) w.addString("key", key);
    else this.q.writeRead(w);
    changes.writeTo(w);
    return w.finish();
  }
  delete(key: string = ""): Uint8Array {
    const w = this.begin("delete");
    if (key.length > 0) w.addString("key", key);
    else this.q.writeRead(w);
    return w.finish();
  }
  replace(key: string, document: BsonWriter): Uint8Array {
    return this.begin("replace").addString("key", key).addDocument("document", document.finish()).finish();
  }

  private begin(op: string): BsonWriter {
    const writer = this.writer;
    const w = writer === null ? new BsonWriter() : writer.reset();
    return w.addString("op", op).addString("store", this.q.name);
  }
}

/** A query on one store. Each call changes this query and returns it. */
export class StoreQuery {
  // Lists stay null until used: most queries set one or two of them.
  private filters: Filter[] | null = null;
  /** Fields and directions of orderBy, alternating. */
  private order: string[] | null = null;
  private afterKey: string = "";
  private skipCount: i32 = -1;
  private limitCount: i32 = -1;
  private selected: string[] | null = null;

  constructor(readonly name: string) {}

  /** Adds a filter; several filter() calls must all match (one flat `and`). */
  filter(filter: Filter): StoreQuery {
    let filters = this.filters;
    if (filters === null) this.filters = filters = [];
    filters.push(filter);
    return this;
  }
  /** Sorts by `field`, "asc" or "desc"; later calls break ties. */
  orderBy(field: string, direction: string = "asc"): StoreQuery {
    let order = this.order;
    if (order === null) this.order = order = [];
    order.push(field);
    order.push(direction);
    return this;
  }
  /** Resumes after the document with `key` in the result order. */
  after(key: string): StoreQuery {
    this.afterKey = key;
    return this;
  }
  skip(n: i32): StoreQuery {
    this.skipCount = n;
    return this;
  }
  limit(n: i32): StoreQuery {
    this.limitCount = n;
    return this;
  }
  /** Keeps only these fields (the key is always returned). */
  select(fields: string[]): StoreQuery {
    let selected = this.selected;
    if (selected === null) this.selected = selected = [];
    for (let i = 0; i < fields.length; i++) selected.push(unchecked(fields[i]));
    return this;
  }

  /** The find document. */
  toQuery(): Uint8Array {
    return this.build.find();
  }

  /** Builders for every query document of this chain, without running. */
  get build(): QueryDocuments {
    return new QueryDocuments(this);
  }

  /** The query documents the terminals send (built in the shared TERMINAL_WRITER). */
  private get sent(): QueryDocuments {
    return new QueryDocuments(this, TERMINAL_WRITER);
  }

  /** Runs the query and returns the matching documents (views of the reply's bytes). */
  find(): BsonDoc[] {
    const result = query(this.sent.find()).check().reply.getArray("result");
    return result === null ? [] : result.docs();
  }

  /** The first match, or null. */
  first(): BsonDoc | null {
    this.limitCount = 1;
    const rows = this.find();
    return rows.length == 0 ? null : unchecked(rows[0]);
  }

  /** Counts the matching documents. */
  count(): i32 {
    const result = query(this.sent.count()).check().reply.getDoc("result");
    return result === null ? 0 : result.getI32("count");
  }

  /** The document with `key`, or null. */
  get(key: string): BsonDoc | null {
    return query(this.sent.get(key)).check().reply.getDoc("result");
  }

  /** Inserts one document and returns its key. */
  insert(document: BsonWriter): string {
    const result = query(this.sent.insert(document)).check().reply.getDoc("result");
    if (result === null) return "";
    const keys = result.getArray("inserted");
    if (keys === null) return "";
    const list = keys.strings();
    return list.length == 0 ? "" : unchecked(list[0]);
  }

  /** Updates the document with `key`, or (key "") every match of the filters. */
  update(changes: Changes, key: string = ""): UpdateResult {
    return updateResult(query(this.sent.update(changes, key)));
  }

  /** Replaces the document with `key`. */
  replace(key: string, document: BsonWriter): UpdateResult {
    return updateResult(query(this.sent.replace(key, document)));
  }

  /** Deletes the document with `key`, or (key "") every match; returns how many were deleted. */
  delete(key: string = ""): i32 {
    const result = query(this.sent.delete(key)).check().reply.getDoc("result");
    return result === null ? 0 : result.getI32("deleted");
  }

  /** A query document writer with op and store (internal). */
  begin(op: string): BsonWriter {
    return new BsonWriter().addString("op", op).addString("store", this.name);
  }

  /** Writes the filter (internal). */
  writeRead(w: BsonWriter): void {
    const filters = this.filters;
    if (filters === null) return;
    if (filters.length == 1) unchecked(filters[0]).write(w, "filter");
    else if (filters.length > 1) and(filters).write(w, "filter");
  }

  /** Writes the fields of a find document after op and store (internal). */
  writeFind(w: BsonWriter): void {
    this.writeRead(w);
    const order = this.order;
    if (order !== null) {
      w.startArray("orderBy");
      for (let i = 0; i + 1 < order.length; i += 2) {
        w.startDocument(ITEM).addString("field", unchecked(order[i]))
          .addString("direction", unchecked(order[i + 1])).end();
      }
      w.end();
    }
    if (this.afterKey.length > 0) w.addString("after", this.afterKey);
    if (this.skipCount >= 0) w.addI32("skip", this.skipCount);
    if (this.limitCount >= 0) w.addI32("limit", this.limitCount);
    const selected = this.selected;
    if (selected !== null && selected.length > 0) {
      w.startArray("select");
      for (let i = 0; i < selected.length; i++) w.addString(ITEM, unchecked(selected[i]));
      w.end();
    }
  }
}

function updateResult(reply: QueryReply): UpdateResult {
  const result = reply.check().reply.getDoc("result");
  if (result === null) return new UpdateResult(0, 0);
  return new UpdateResult(result.getI32("matched"), result.getI32("modified"));
}

/** Starts a query on one of the service's stores. */
export function store(name: string): StoreQuery {
  return new StoreQuery(name);
}
