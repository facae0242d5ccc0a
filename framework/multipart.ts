/**
 * `multipart/form-data` request bodies (RFC 7578 over RFC 2046): the boundary from the
 * Content-Type, then each part's headers (Content-Disposition `name` and `filename`, Content-Type)
 * and bytes, split into text fields and files. Runs inside the QuickJS guest, so it is plain JS over
 * bytes: no TextDecoder, no Blob, no FormData.
 *
 * Invariants: a part's bytes are exactly those between the blank line ending its headers and the
 * CRLF before the next delimiter; preamble and epilogue are ignored; at most MULTIPART_PARTS_MAX
 * parts and MULTIPART_PART_HEADER_BYTES_MAX header bytes per part are read (more is a
 * MultipartError with status 413); any other deviation is a MultipartError with status 400 naming
 * the part (1-based) and what is wrong. Names are decoded as browsers encode them (UTF-8, with
 * `"`, CR and LF sent as %22, %0D, %0A).
 */
import { decodeUtf8 } from "./tagged_json.ts";

/** Most parts one body may have: bounds the objects one request can make the guest allocate. */
export const MULTIPART_PARTS_MAX = 1000;
/** Most bytes of one part's header block (up to its blank line); real ones are well under 1 KiB. */
export const MULTIPART_PART_HEADER_BYTES_MAX = 16 * 1024;
/** Longest boundary, in characters (RFC 2046 §5.1.1). */
export const MULTIPART_BOUNDARY_CHARS_MAX = 70;

const CR = 13;
const LF = 10;
const DASH = 45;
const SPACE = 32;
const TAB = 9;
/** RFC 2046 `bchars`: what a boundary may be made of (it may not end with a space). */
const BOUNDARY_PATTERN = /^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/;

/** One uploaded file of a multipart form. */
export interface FormFile {
  /** The file name the client sent ("" when a file input was left empty). */
  filename: string;
  /** The part's Content-Type, or "application/octet-stream" when it had none. */
  contentType: string;
  /** The file's bytes: a view into the request body (copy with `slice()` to keep them apart). */
  bytes: Uint8Array;
}

/** A parsed multipart form: text fields (the last value of a repeated name wins) and files by name. */
export interface MultipartForm {
  fields: Record<string, string>;
  /** Every file part of a name, in body order (`<input type="file" multiple>` sends several). */
  files: Record<string, FormFile[]>;
}

/** A malformed (400) or oversized (413) multipart body. */
export class MultipartError extends Error {
  readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string) {
    super(message);
    this.name = "MultipartError";
    this.status = status;
  }
}

/** True when `contentType` names `multipart/form-data` (parameters and case aside). */
export function isMultipartForm(contentType: string | undefined): boolean {
  return contentType !== undefined &&
    contentType.split(";")[0].trim().toLowerCase() === "multipart/form-data";
}

/** The fields and files of a multipart body. @throws MultipartError */
export function parseMultipartForm(body: Uint8Array, contentType: string): MultipartForm {
  const fields = new Map<string, string>();
  const files = new Map<string, FormFile[]>();
  parseMultipart(body, contentType, (headers, bytes, index) => {
    const disposition = contentDisposition(headers, index);
    if (disposition.filename === undefined) {
      fields.set(disposition.name, decodeUtf8(bytes));
      return;
    }
    const file = {
      filename: disposition.filename,
      contentType: headers.get("content-type") ?? "application/octet-stream",
      bytes,
    };
    const list = files.get(disposition.name);
    if (list === undefined) files.set(disposition.name, [file]);
    else list.push(file);
  });
  // fromEntries defines own properties, so a part named "__proto__" stays an ordinary key.
  return { fields: Object.fromEntries(fields), files: Object.fromEntries(files) };
}

/**
 * Calls `onPart` with each part's headers (lower-case names) and bytes, in order. The bytes are a
 * view into `body`, not a copy: the guest's memory is capped and a body may be 4 MiB.
 */
function parseMultipart(
  body: Uint8Array,
  contentType: string,
  onPart: (headers: Map<string, string>, bytes: Uint8Array, index: number) => void,
): void {
  const delimiter = asciiBytes(`\r\n--${boundaryOf(contentType)}`);
  const skip = skipTable(delimiter);
  // 1. Find the first delimiter: at the very start (no CRLF before it) or after a preamble.
  const first = startsWith(body, delimiter, 2) ? -2 : indexOf(body, delimiter, skip, 0);
  if (first === -1) {
    throw new MultipartError(400, "Invalid multipart body: the boundary does not occur in it");
  }
  let pos = first + delimiter.length;
  for (let index = 1;; index++) {
    // 2. After a delimiter: "--" closes the body; else optional padding and CRLF open a part.
    if (body[pos] === DASH && body[pos + 1] === DASH) return;
    while (body[pos] === SPACE || body[pos] === TAB) pos++;
    if (pos >= body.length) {
      throw new MultipartError(400, "Invalid multipart body: it ends without the closing delimiter");
    }
    if (body[pos] !== CR || body[pos + 1] !== LF) {
      throw new MultipartError(
        400,
        `Invalid multipart body: the delimiter before part ${index} is not followed by CRLF`,
      );
    }
    if (index > MULTIPART_PARTS_MAX) {
      throw new MultipartError(
        413,
        `Invalid multipart body: more than MULTIPART_PARTS_MAX (${MULTIPART_PARTS_MAX}) parts`,
      );
    }
    // 3. The part's headers, then its bytes up to the CRLF of the next delimiter.
    const { headers, start } = readHeaders(body, pos + 2, index);
    const end = indexOf(body, delimiter, skip, start);
    if (end < 0) {
      throw new MultipartError(400, `Invalid multipart body: part ${index} has no closing delimiter`);
    }
    onPart(headers, body.subarray(start, end), index);
    pos = end + delimiter.length;
  }
}

/** The header block starting at `from`, and where the part's bytes start (after its blank line). */
function readHeaders(
  body: Uint8Array,
  from: number,
  index: number,
): { headers: Map<string, string>; start: number } {
  const headers = new Map<string, string>();
  if (body[from] === CR && body[from + 1] === LF) return { headers, start: from + 2 };
  const window = Math.min(body.length, from + MULTIPART_PART_HEADER_BYTES_MAX + 4);
  let end = from;
  while (
    end + 3 < window &&
    !(body[end] === CR && body[end + 1] === LF && body[end + 2] === CR && body[end + 3] === LF)
  ) {
    end++;
  }
  if (end + 3 >= window) {
    if (window < body.length) {
      throw new MultipartError(
        413,
        `Invalid multipart body: the headers of part ${index} exceed MULTIPART_PART_HEADER_BYTES_MAX (${MULTIPART_PART_HEADER_BYTES_MAX} bytes)`,
      );
    }
    throw new MultipartError(
      400,
      `Invalid multipart body: the headers of part ${index} do not end with a blank line`,
    );
  }
  let last = "";
  for (const line of decodeUtf8(body.subarray(from, end)).split("\r\n")) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && last !== "") {
      headers.set(last, `${headers.get(last)} ${line.trim()}`); // obsolete line folding
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new MultipartError(
        400,
        `Invalid multipart body: part ${index} has a malformed header line "${line.slice(0, 60)}"`,
      );
    }
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  return { headers, start: end + 4 };
}

/** The `name` and `filename` of a part's Content-Disposition. @throws MultipartError */
function contentDisposition(
  headers: Map<string, string>,
  index: number,
): { name: string; filename: string | undefined } {
  const value = headers.get("content-disposition");
  if (value === undefined) {
    throw new MultipartError(400, `Invalid multipart body: part ${index} has no Content-Disposition header`);
  }
  const { type, params } = parseParameters(value);
  if (type !== "form-data") {
    throw new MultipartError(
      400,
      `Invalid multipart body: part ${index} is not form-data (Content-Disposition "${value.slice(0, 60)}")`,
    );
  }
  const name = params.get("name");
  if (name === undefined) throw new MultipartError(400, `Invalid multipart body: part ${index} has no name`);
  let filename = params.get("filename");
  const extended = params.get("filename*"); // RFC 5987 `UTF-8''na%C3%AFve.txt`, preferred when present
  if (extended !== undefined) {
    const quote = extended.indexOf("''");
    try {
      filename = decodeURIComponent(quote < 0 ? extended : extended.slice(quote + 2));
    } catch {
      throw new MultipartError(400, `Invalid multipart body: part ${index} has a malformed filename*`);
    }
  }
  return { name: unescapeName(name), filename: filename === undefined ? undefined : unescapeName(filename) };
}

/** The boundary parameter of a multipart Content-Type. @throws MultipartError */
function boundaryOf(contentType: string): string {
  const boundary = parseParameters(contentType).params.get("boundary");
  if (boundary === undefined) {
    throw new MultipartError(400, "Invalid multipart body: the Content-Type has no boundary");
  }
  if (boundary.length > MULTIPART_BOUNDARY_CHARS_MAX || !BOUNDARY_PATTERN.test(boundary)) {
    throw new MultipartError(
      400,
      `Invalid multipart body: the boundary "${boundary.slice(0, 80)}" is not valid`,
    );
  }
  return boundary;
}

/** `type; a=1; b="x;y"` → the lower-case type and the parameters (names lower-case, values unquoted). */
function parseParameters(value: string): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const semicolon = value.indexOf(";");
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  let i = semicolon < 0 ? value.length : semicolon + 1;
  while (i < value.length) {
    const eq = value.indexOf("=", i);
    if (eq < 0) break;
    const key = value.slice(i, eq).trim().toLowerCase();
    let text = "";
    i = eq + 1;
    while (value[i] === " ") i++;
    if (value[i] === '"') {
      // No backslash escapes: browsers percent-encode `"` instead (and a path may hold `\`).
      const close = value.indexOf('"', i + 1);
      text = value.slice(i + 1, close < 0 ? value.length : close);
      i = close < 0 ? value.length : close + 1;
    } else {
      const stop = value.indexOf(";", i);
      text = value.slice(i, stop < 0 ? value.length : stop).trim();
      i = stop < 0 ? value.length : stop;
    }
    if (key !== "" && !params.has(key)) params.set(key, text);
    const next = value.indexOf(";", i);
    i = next < 0 ? value.length : next + 1;
  }
  return { type, params };
}

/** Reverses the escaping browsers apply to names and filenames (WHATWG HTML form encoding). */
function unescapeName(text: string): string {
  return text.replace(/%(0A|0D|22)/gi, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** True when `body` starts with `needle` from its offset `needleFrom` on. */
function startsWith(body: Uint8Array, needle: Uint8Array, needleFrom: number): boolean {
  if (needle.length - needleFrom > body.length) return false;
  for (let k = needleFrom; k < needle.length; k++) if (body[k - needleFrom] !== needle[k]) return false;
  return true;
}

/** Boyer-Moore-Horspool shifts: how far the window may move when its last byte is `b`. */
function skipTable(needle: Uint8Array): Int32Array {
  const skip = new Int32Array(256).fill(needle.length);
  for (let k = 0; k < needle.length - 1; k++) skip[needle[k]] = needle.length - 1 - k;
  return skip;
}

/** The first offset ≥ `from` where `needle` occurs in `body`, or -1 (Horspool search). */
function indexOf(body: Uint8Array, needle: Uint8Array, skip: Int32Array, from: number): number {
  const last = needle.length - 1;
  for (let i = from; i + last < body.length; i += skip[body[i + last]]) {
    if (body[i + last] !== needle[last]) continue;
    let k = last - 1;
    while (k >= 0 && body[i + k] === needle[k]) k--;
    if (k < 0) return i;
  }
  return -1;
}
