/**
 * The shape rules every stored document obeys, checked on its BSON bytes (one walk, no decode, no
 * recursion): embedded documents and arrays nest at most DOC_DEPTH_MAX deep; every field name is
 * valid UTF-8 (BSON names are UTF-8 C strings) and not `__proto__` (a JS decode would turn it into
 * a prototype, and checkPath refuses it in field paths). An empty name is valid BSON and is kept
 * (export/import round-trips it). Array element names are not checked (BSON writes "0", "1", …).
 *
 * Invariants: the walk never reads past the bytes; a malformed element answers `invalid_argument`.
 */
import { PlanckError } from "../protocol/errors.ts";
import { fixedSize } from "./bson_fields.ts";
import { DOC_DEPTH_MAX } from "./limits.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(field: string, at: number): PlanckError {
  return new PlanckError("invalid_argument", `Invalid ${field}: malformed BSON at byte ${at}`, { field });
}

/**
 * Checks the shape of encoded document `bytes` (a well-formed length prefix is assumed checked);
 * with `values`, also that every value is well-formed BSON (caller-supplied bytes).
 * @throws PlanckError `limit_exceeded` (DOC_DEPTH_MAX), `invalid_argument` (field name, malformed BSON)
 */
export function checkDocumentShape(bytes: Uint8Array, field = "document", values = false): void {
  walk(bytes, field, values, 0);
}

/** The walk; `outer` counts the levels around `bytes` (a code-with-scope's scope sits inside them). */
function walk(bytes: Uint8Array, field: string, values: boolean, outer: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const int32 = (at: number) => {
    if (at + 4 > bytes.length) throw malformed(field, at);
    return view.getInt32(at, true);
  };
  /** A BSON string at `at` (int32 length counting its NUL, bytes, NUL); the offset after it. */
  const string = (at: number) => {
    const length = int32(at);
    const end = at + 4 + length;
    if (length < 1 || end > bytes.length || bytes[end - 1] !== 0) throw malformed(field, at);
    if (values) checkUtf8(bytes, at + 4, end - 1, field);
    return end;
  };
  /** A C string at `at`; the offset after its NUL. */
  const cstring = (at: number) => {
    const start = at;
    while (at < bytes.length && bytes[at] !== 0) at++;
    if (at >= bytes.length) throw malformed(field, start);
    if (values) checkUtf8(bytes, start, at, field);
    return at + 1;
  };
  // ends[i]: the offset one past the document or array open at depth i; arrays[i]: is it an array.
  const ends: number[] = [bytes.length];
  const arrays: boolean[] = [false];
  let at = 4;
  while (ends.length > 0) {
    if (at >= bytes.length) throw malformed(field, at);
    const type = bytes[at++];
    if (type === 0) {
      if (at !== ends.pop()) throw malformed(field, at);
      arrays.pop();
      continue;
    }
    const nameStart = at;
    let ascii = true;
    while (at < bytes.length && bytes[at] !== 0) {
      if (bytes[at] >= 0x80) ascii = false;
      at++;
    }
    if (at >= bytes.length) throw malformed(field, at);
    if (!arrays[arrays.length - 1]) checkName(bytes, nameStart, at, ascii, field);
    at++; // the name's NUL
    const size = fixedSize(type);
    if (size >= 0) {
      if (values && type === 0x08 && bytes[at] > 1) throw malformed(field, at);
      at += size;
      if (at > ends[ends.length - 1]) throw malformed(field, at);
      continue;
    }
    switch (type) {
      case 0x02: // string
      case 0x0d: // JavaScript code
      case 0x0e: // symbol
        at = string(at);
        break;
      case 0x05: { // binary: length, subtype, bytes
        const length = int32(at);
        if (length < 0) throw malformed(field, at);
        // Subtype 2 (old binary) repeats the length inside: total = 4 + inner.
        if (values && bytes[at + 4] === 0x02 && (length < 4 || int32(at + 5) !== length - 4)) {
          throw malformed(field, at);
        }
        at += 5 + length;
        break;
      }
      case 0x0c: // DBPointer: string, then 12 bytes
        at = string(at) + 12;
        break;
      case 0x0f: { // code with scope: total length, string, document
        const length = int32(at);
        if (length < 14 || at + length > ends[ends.length - 1]) throw malformed(field, at);
        if (values) checkCodeWithScope(bytes.subarray(at, at + length), field, at, outer + ends.length);
        at += length;
        break;
      }
      case 0x0b: // regex: two C strings
        at = cstring(cstring(at));
        break;
      case 0x03: // embedded document
      case 0x04: { // array
        const length = int32(at);
        if (length < 5 || at + length > ends[ends.length - 1]) throw malformed(field, at);
        if (outer + ends.length > DOC_DEPTH_MAX) {
          throw new PlanckError(
            "limit_exceeded",
            `Invalid ${field}: nested deeper than DOC_DEPTH_MAX (${DOC_DEPTH_MAX}) documents and arrays`,
            { field, limit: "DOC_DEPTH_MAX" },
          );
        }
        ends.push(at + length);
        arrays.push(type === 0x04);
        at += 4;
        break;
      }
      default:
        throw malformed(field, at - 1);
    }
    if (at > ends[ends.length - 1]) throw malformed(field, at);
  }
  if (at !== bytes.length) throw malformed(field, at);
}

/** Checks that bytes[from, to) are UTF-8 (an ASCII run needs no decoder). */
function checkUtf8(bytes: Uint8Array, from: number, to: number, field: string): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] < 0x80) continue;
    try {
      utf8.decode(bytes.subarray(i, to));
    } catch {
      throw new PlanckError(
        "invalid_argument",
        `Invalid ${field}: a string is not valid UTF-8 (at byte ${from})`,
        {
          field,
        },
      );
    }
    return;
  }
}

/** Code with scope: int32 total, a string, a document, nothing after. */
function checkCodeWithScope(bytes: Uint8Array, field: string, offset: number, depth: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codeLength = view.getInt32(4, true);
  const scopeAt = 8 + codeLength;
  if (codeLength < 1 || scopeAt + 5 > bytes.length || bytes[scopeAt - 1] !== 0) {
    throw malformed(field, offset);
  }
  checkUtf8(bytes, 8, scopeAt - 1, field);
  const scope = bytes.subarray(scopeAt);
  if (view.getInt32(scopeAt, true) !== scope.length || scope[scope.length - 1] !== 0) {
    throw malformed(field, offset);
  }
  if (depth >= DOC_DEPTH_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Invalid ${field}: nested deeper than DOC_DEPTH_MAX (${DOC_DEPTH_MAX})`,
      {
        field,
        limit: "DOC_DEPTH_MAX",
      },
    );
  }
  walk(scope, field, true, depth);
}

function checkName(bytes: Uint8Array, from: number, to: number, ascii: boolean, field: string): void {
  let name: string;
  if (ascii) {
    if (to - from !== 9) return; // only "__proto__" (9 bytes) is reserved among ASCII names
    name = String.fromCharCode(...bytes.subarray(from, to));
  } else {
    try {
      name = utf8.decode(bytes.subarray(from, to));
    } catch {
      throw new PlanckError("invalid_argument", `Invalid ${field}: a field name is not valid UTF-8`, {
        field,
      });
    }
  }
  if (name === "__proto__") {
    throw new PlanckError("invalid_argument", `Invalid ${field}: the field name "__proto__" is reserved`, {
      field,
    });
  }
}
