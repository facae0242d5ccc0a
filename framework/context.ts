/**
 * The request context a handler gets: the request (method, path, params, query, headers,
 * cookies, JSON/text bodies, urlencoded and multipart forms with their files), schema validation, and the reply builders (`c.html`, `c.json`,
 * `c.text`, `c.body`, `c.stream`, `c.redirect`, `c.notFound`) with headers and cookies.
 *
 * Invariants: headers and cookies set on the context are added to whatever reply the handler
 * returns; a failed validation throws HttpError 400 whose JSON body lists every bad field; a
 * multipart body is parsed at most once per request, and a malformed one throws HttpError 400
 * (413 past a multipart limit) from `form()` and `files()`.
 */
import type { StoreQuery } from "../builder/query_builder.ts";
import { store } from "./host.ts";
import { Html } from "./html.ts";
import {
  type FormFile,
  isMultipartForm,
  MultipartError,
  type MultipartForm,
  parseMultipartForm,
} from "./multipart.ts";
import { type Schema, validate } from "./schema.ts";
import type { InternalCall } from "./topics.ts";
import { decodeUtf8, encodeUtf8 } from "./tagged_json.ts";

/** A reply: what the host sends back (see docs/wasm-abi.md). */
export interface Reply {
  status: number;
  headers: [string, string][];
  body: string | Uint8Array | Uint8Array[] | null;
}

/** The request as the host passes it. */
export interface RequestData {
  id: string;
  method: string;
  path: string;
  query: string;
  headers: [string, string][];
  body: Uint8Array | null;
  /** The body decoded as UTF-8, when the host passed it (decoding in the guest is slow). */
  bodyText?: string;
  /** Set on the host's internal requests (topics, subscriptions; framework/topics.ts). */
  planck?: InternalCall;
}

declare const __planck_body: (() => ArrayBuffer | undefined) | undefined;

/** The bytes of the request body the host passed as text: copied in by the host, else encoded here. */
function bodyBytes(text: string): Uint8Array {
  const buffer = typeof __planck_body === "function" ? __planck_body() : undefined;
  return buffer === undefined ? encodeUtf8(text) : new Uint8Array(buffer);
}

/** Thrown to answer with a status (4xx) instead of failing the request. */
export class HttpError extends Error {
  readonly status: number;
  readonly reply: Reply;
  constructor(status: number, message: string, reply?: Reply) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.reply = reply ?? errorReply(status, message);
  }
}

/** The error code of an HTTP status (docs/errors.md's table, read backwards). */
const STATUS_CODES: Record<number, string> = {
  400: "invalid_argument",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "limit_exceeded",
  422: "invalid_argument",
  429: "limit_exceeded",
};

/** The one error document of a service's API: `{error, message, issues?}` as JSON. */
export function errorReply(
  status: number,
  message: string,
  issues?: { field: string; message: string }[],
): Reply {
  const error = STATUS_CODES[status] ?? (status >= 500 ? "internal" : "invalid_argument");
  return {
    status,
    headers: [["content-type", "application/json"]],
    body: JSON.stringify(issues === undefined ? { error, message } : { error, message, issues }),
  };
}

/** Options of a Set-Cookie. */
export interface CookieOptions {
  maxAgeS?: number;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "Strict" | "Lax" | "None";
}

/**
 * `text` with "+" as space and %XX escapes decoded; plain text is returned as it is (cheaper in QuickJS).
 * Malformed escapes (`%zz`, a cut `%e2%82`) leave the text raw, as the router does with path segments:
 * a bad query string or form never throws out of the handler.
 */
function decodeFormComponent(text: string): string {
  const spaced = text.indexOf("+") < 0 ? text : text.replace(/\+/g, " ");
  return spaced.indexOf("%") < 0 ? spaced : decodeLenient(spaced);
}

function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // URIError
  }
}

/** `a=1&b=x+y` → { a: "1", b: "x y" } (the last value of a repeated name wins). */
export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    out[decodeFormComponent(name)] = decodeFormComponent(value);
  }
  return out;
}

/** The request view of a context. */
export class RequestView {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  params: Record<string, string> = {};
  readonly #data: RequestData;
  #query: Record<string, string> | undefined;
  #cookies: Record<string, string> | undefined;
  #multipart: MultipartForm | undefined;

  constructor(data: RequestData) {
    this.#data = data;
    this.id = data.id;
    this.method = data.method;
    this.path = data.path;
  }

  /** A path parameter (`/orders/:id` → param("id")). */
  param(name: string): string {
    return this.params[name];
  }

  /** One query-string value, or every one when called without a name. */
  query(): Record<string, string>;
  query(name: string): string | undefined;
  query(name?: string): string | undefined | Record<string, string> {
    this.#query ??= parseForm(this.#data.query);
    return name === undefined ? this.#query : this.#query[name];
  }

  /** A request header (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.#data.headers.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  /** A cookie value, or undefined. */
  cookie(name: string): string | undefined {
    if (this.#cookies === undefined) {
      this.#cookies = {};
      for (const part of (this.header("cookie") ?? "").split(";")) {
        const eq = part.indexOf("=");
        if (eq > 0) this.#cookies[part.slice(0, eq).trim()] = decodeLenient(part.slice(eq + 1).trim());
      }
    }
    return this.#cookies[name];
  }

  /**
   * The body bytes (empty when there is none). A UTF-8 body crosses into the guest once, as text;
   * its bytes are copied in only when asked for (`__planck_body`, docs/wasm-abi.md).
   */
  bytes(): Uint8Array {
    if (this.#data.body == null && this.#data.bodyText !== undefined) {
      this.#data.body = bodyBytes(this.#data.bodyText);
    }
    return this.#data.body ?? new Uint8Array();
  }

  /** The body as UTF-8 text. */
  text(): string {
    return this.#data.bodyText ?? decodeUtf8(this.bytes());
  }

  /** The body as JSON. @throws HttpError 400 when it is not JSON */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text()) as T;
    } catch {
      throw new HttpError(400, "The request body is not valid JSON");
    }
  }

  /**
   * The text fields of a form body: `multipart/form-data` (file parts excluded: see `files()`) or,
   * for any other content type, urlencoded. The last value of a repeated name wins.
   * @throws HttpError 400 on a malformed multipart body, 413 past a multipart limit
   */
  form(): Record<string, string> {
    return this.#isMultipart() ? this.#multipartForm().fields : parseForm(this.text());
  }

  /**
   * The file parts of a `multipart/form-data` body by field name, each name's files in body order
   * (a part is a file when its Content-Disposition has a `filename`); `{}` for any other body.
   * @throws HttpError 400 on a malformed multipart body, 413 past a multipart limit
   */
  files(): Record<string, FormFile[]> {
    return this.#isMultipart() ? this.#multipartForm().files : {};
  }

  #isMultipart(): boolean {
    return isMultipartForm(this.header("content-type"));
  }

  #multipartForm(): MultipartForm {
    if (this.#multipart !== undefined) return this.#multipart;
    try {
      this.#multipart = parseMultipartForm(this.bytes(), this.header("content-type")!);
    } catch (error) {
      if (!(error instanceof MultipartError)) throw error;
      const code = error.status === 413 ? "limit_exceeded" : "invalid_argument";
      throw new HttpError(error.status, error.message, {
        status: error.status,
        headers: [["content-type", "application/json"]],
        body: JSON.stringify({ error: code, message: error.message }),
      });
    }
    return this.#multipart;
  }
}

/** The context of one request. */
export class Context {
  readonly req: RequestView;
  /** Values middleware hands to handlers. */
  readonly vars: Record<string, unknown> = {};
  readonly #headers: [string, string][] = [];
  #status = 200;

  constructor(data: RequestData) {
    this.req = new RequestView(data);
  }

  /** A typed query on one of the service's own stores. */
  store<T = Record<string, unknown>>(name: string): StoreQuery<T> {
    return store<T>(name);
  }

  /**
   * Validates the JSON body, the form's text fields (urlencoded or multipart) or the query string.
   * @throws HttpError 400 naming the bad fields
   */
  valid<T>(schema: Schema<T>, source: "json" | "form" | "query" = "json"): T {
    const input = source === "json"
      ? this.req.json()
      : source === "form"
      ? this.req.form()
      : this.req.query();
    const result = validate(schema, input);
    if (result.ok) return result.value;
    const fields = result.issues.map((i) => `${i.field} ${i.message}`).join("; ");
    throw new HttpError(
      400,
      `Invalid input: ${fields}`,
      errorReply(400, `Invalid input: ${fields}`, result.issues),
    );
  }

  /** Sets the default status of the reply. */
  status(status: number): this {
    this.#status = status;
    return this;
  }

  /** Adds a response header. */
  header(name: string, value: string): this {
    this.#headers.push([name, value]);
    return this;
  }

  /** Adds a Set-Cookie (HttpOnly, SameSite=Lax and Path=/ unless told otherwise). */
  setCookie(name: string, value: string, options: CookieOptions = {}): this {
    let cookie = `${name}=${encodeURIComponent(value)}; Path=${options.path ?? "/"}`;
    if (options.maxAgeS !== undefined) cookie += `; Max-Age=${options.maxAgeS}`;
    if (options.httpOnly !== false) cookie += "; HttpOnly";
    if (options.secure === true) cookie += "; Secure";
    cookie += `; SameSite=${options.sameSite ?? "Lax"}`;
    return this.header("set-cookie", cookie);
  }

  /** Expires a cookie. */
  deleteCookie(name: string, options: { path?: string } = {}): this {
    return this.setCookie(name, "", { ...options, maxAgeS: 0 });
  }

  #reply(body: Reply["body"], contentType: string | null, status?: number): Reply {
    const headers: [string, string][] = contentType === null ? [] : [["content-type", contentType]];
    return { status: status ?? this.#status, headers: [...headers, ...this.#headers], body };
  }

  /** An HTML reply (use the `html` template so values are escaped). */
  html(body: Html | string, status?: number): Reply {
    return this.#reply(body instanceof Html ? body.value : body, "text/html; charset=utf-8", status);
  }

  /** A JSON reply. */
  json(value: unknown, status?: number): Reply {
    return this.#reply(JSON.stringify(value), "application/json", status);
  }

  /** A plain-text reply. */
  text(text: string, status?: number): Reply {
    return this.#reply(text, "text/plain; charset=utf-8", status);
  }

  /** A byte reply. */
  body(bytes: Uint8Array, contentType = "application/octet-stream", status?: number): Reply {
    return this.#reply(bytes, contentType, status);
  }

  /** A byte stream: `write` chunks in order (they are sent as they were written, after commit). */
  async stream(
    produce: (out: { write(chunk: string | Uint8Array): void }) => void | Promise<void>,
    contentType = "application/octet-stream",
  ): Promise<Reply> {
    const chunks: Uint8Array[] = [];
    await produce({ write: (chunk) => chunks.push(typeof chunk === "string" ? encodeUtf8(chunk) : chunk) });
    return this.#reply(chunks, contentType);
  }

  /** A redirect (303 See Other by default, right after a form POST). */
  redirect(location: string, status = 303): Reply {
    return { ...this.#reply(null, null, status), headers: [["location", location], ...this.#headers] };
  }

  /** A 404 reply. */
  notFound(message = "Not found"): Reply {
    return this.text(message, 404);
  }
}
