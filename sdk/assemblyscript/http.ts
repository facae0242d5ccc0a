/**
 * Requests and responses of AssemblyScript services, and their BSON forms on the native ABI
 * (docs/wasm-abi.md): request `{id, method, path, query, headers: [[name, value]…], body: binary |
 * null}`, response `{status: int32, headers: [[name, value]…], body: string | binary | null}` (a
 * UTF-8 body from `htmlUtf8`/`utf8` is copied into the string element as it is, not transcoded).
 *
 * Invariants: a Request owns its document's bytes (planck_alloc hands out a fresh buffer per
 * request), so its views stay valid after the call; header names compare case-insensitively.
 */
import { BsonWriter, ITEM } from "./bson";
import { BsonDoc } from "./bson_reader";
import { parseJson } from "./json";

const TEXT = "text/plain; charset=utf-8";
const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json";

/** One HTTP request: a view of the host's request document, decoded on demand. */
export class Request {
  /** The request document (the request owns its bytes). */
  readonly doc: BsonDoc;
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** Route parameter names and values, alternating (null until the router sets one). */
  private params: string[] | null = null;

  constructor(doc: BsonDoc) {
    this.doc = doc;
    this.method = doc.getString("method", "GET");
    this.path = doc.getString("path", "/");
  }

  /** The request id the host assigned (it names the request in logs). */
  get id(): string {
    return this.doc.getString("id");
  }

  /** The raw query string without "?". */
  get query(): string {
    return this.doc.getString("query");
  }

  /** The body bytes (a view), or null when there is none. */
  get body(): Uint8Array | null {
    return this.doc.getBinary("body");
  }

  /** A route parameter (`:id`, or "*" for the rest), "" when absent. */
  param(name: string): string {
    const params = this.params;
    if (params === null) return "";
    for (let i = 0; i + 1 < params.length; i += 2) {
      if (unchecked(params[i]) == name) return unchecked(params[i + 1]);
    }
    return "";
  }

  /** Sets a route parameter (the router does, for the matched route). */
  setParam(name: string, value: string): void {
    let params = this.params;
    if (params === null) this.params = params = [];
    params.push(name);
    params.push(value);
  }

  /** Forgets the route parameters (the router does, before trying a route). */
  clearParams(): void {
    const params = this.params;
    if (params !== null) params.length = 0;
  }

  /** The first query-string value of `name` (decoded), or null. */
  queryParam(name: string): string | null {
    return formField(this.query, name);
  }

  /** The first value of header `name` (any case), or null. */
  header(name: string): string | null {
    const headers = this.doc.getArray("headers");
    if (headers === null) return null;
    const it = headers.fields();
    while (it.next()) {
      const pair = it.getDoc();
      if (pair !== null && equalsIgnoringCase(pair.getString("0"), name)) return pair.getString("1");
    }
    return null;
  }

  /** The body as UTF-8 text ("" when there is none). */
  text(): string {
    const body = this.body;
    return body === null ? "" : String.UTF8.decodeUnsafe(body.dataStart, <usize> body.length);
  }

  /** The body parsed as JSON (an object or array), or null when it is not JSON. */
  json(): BsonDoc | null {
    return parseJson(this.text());
  }

  /** The first value of `name` in an application/x-www-form-urlencoded body, or null. */
  formValue(name: string): string | null {
    return formField(this.text(), name);
  }
}

/** ASCII case-insensitive equality (header names and methods are ASCII; no Unicode tables). */
export function equalsIgnoringCase(a: string, b: string): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x != y) return false;
  }
  return true;
}

/**
 * Index of the UTF-16 unit `unit` in `s` within [from, to), or -1: a scan of units, without the
 * substring comparison String#indexOf does at every position.
 */
export function indexOfUnit(s: string, unit: u16, from: i32, to: i32 = i32.MAX_VALUE): i32 {
  const end = to < s.length ? to : s.length;
  const chars = changetype<usize>(s);
  for (let i = from < 0 ? 0 : from; i < end; i++) {
    if (load<u16>(chars + (<usize> i << 1)) == unit) return i;
  }
  return -1;
}

/** The first value of `name` in "a=1&b=2" (decoded), or null. */
export function formField(form: string, name: string): string | null {
  let at = 0;
  while (at <= form.length) {
    let end = indexOfUnit(form, 38, at); // "&"
    if (end < 0) end = form.length;
    const eq = indexOfUnit(form, 61, at, end); // "="
    const split = eq >= 0 ? eq : end;
    if (decodeComponent(form.substring(at, split), true) == name) {
      return split == end ? "" : decodeComponent(form.substring(split + 1, end), true);
    }
    at = end + 1;
  }
  return null;
}

/** One HTTP response. */
export class Response {
  status: i32;
  /** Header names and values, alternating. */
  headers: string[] = [];
  bodyText: string | null = null;
  /** A text body as UTF-8 bytes (sent as a BSON string, like bodyText). */
  bodyUtf8: Uint8Array | null = null;
  bodyBytes: Uint8Array | null = null;

  constructor(status: i32 = 200) {
    this.status = status;
  }

  /** A text/plain response. */
  static text(body: string, status: i32 = 200): Response {
    return Response.string(body, TEXT, status);
  }

  /** A text/html response. */
  static html(body: string, status: i32 = 200): Response {
    return Response.string(body, HTML, status);
  }

  /** An application/json response; `body` is JSON text (json.ts writes it). */
  static json(body: string, status: i32 = 200): Response {
    return Response.string(body, JSON_TYPE, status);
  }

  /** A text response of any content type. */
  static string(body: string, contentType: string, status: i32 = 200): Response {
    const res = new Response(status).header("content-type", contentType);
    res.bodyText = body;
    return res;
  }

  /**
   * A text/html response whose body is UTF-8 bytes, e.g. `Response.htmlUtf8(out.bytes())` for an
   * Html fragment: the bytes go into the response as they are (no string, no transcoding).
   */
  static htmlUtf8(body: Uint8Array, status: i32 = 200): Response {
    return Response.utf8(body, HTML, status);
  }

  /** A text response of any content type whose body is UTF-8 bytes (copied when it is sent). */
  static utf8(body: Uint8Array, contentType: string, status: i32 = 200): Response {
    const res = new Response(status).header("content-type", contentType);
    res.bodyUtf8 = body;
    return res;
  }

  /** A binary response. */
  static bytes(
    body: Uint8Array,
    contentType: string = "application/octet-stream",
    status: i32 = 200,
  ): Response {
    const res = new Response(status).header("content-type", contentType);
    res.bodyBytes = body;
    return res;
  }

  /** A redirect (303 See Other by default). */
  static redirect(location: string, status: i32 = 303): Response {
    return new Response(status).header("location", location);
  }

  /** Adds a header. */
  header(name: string, value: string): Response {
    this.headers.push(name);
    this.headers.push(value);
    return this;
  }

  /** Writes the ABI's response document into `w` (a reset writer). */
  encode(w: BsonWriter): void {
    w.addI32("status", this.status).startArray("headers");
    for (let i = 0; i + 1 < this.headers.length; i += 2) {
      w.startArray(ITEM).addString(ITEM, unchecked(this.headers[i]))
        .addString(ITEM, unchecked(this.headers[i + 1])).end();
    }
    w.end();
    const text = this.bodyText;
    const utf8 = this.bodyUtf8;
    const bytes = this.bodyBytes;
    if (text !== null) w.addString("body", text);
    else if (utf8 !== null) w.addUtf8("body", utf8);
    else if (bytes !== null) w.addBinary("body", bytes);
    else w.addNull("body");
  }
}

/** Percent-decodes `s` as UTF-8 (and "+" as space when `plus`); a bad escape stays as written. */
export function decodeComponent(s: string, plus: bool): string {
  if (indexOfUnit(s, 37, 0) < 0 && (!plus || indexOfUnit(s, 43, 0) < 0)) return s; // "%", "+"
  const bytes = new Uint8Array(String.UTF8.byteLength(s));
  const chars = changetype<usize>(s);
  let n = 0;
  let run = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : -1;
    const hi = c == 37 && i + 2 < s.length ? hexValue(s.charCodeAt(i + 1)) : -1;
    const lo = hi >= 0 ? hexValue(s.charCodeAt(i + 2)) : -1;
    const special = lo >= 0 || (c == 43 && plus) || c < 0;
    if (!special) continue;
    const written = String.UTF8.encodeUnsafe(
      chars + (<usize> run << 1),
      i - run,
      bytes.dataStart + <usize> n,
    );
    n += <i32> written;
    if (lo >= 0) {
      bytes[n++] = <u8> ((hi << 4) | lo);
      i += 2;
    } else if (c == 43) {
      bytes[n++] = 32;
    }
    run = i + 1;
  }
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize> n);
}

function hexValue(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
