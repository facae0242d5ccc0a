/**
 * The BSON form of `planck export --format bson` / `planck import --format bson`: a file of
 * length-prefixed BSON documents back to back, as mongodump writes them, one per stored document.
 * Each is a record document with exactly two fields, in this order:
 *
 *   int32 total length | 0x02 "key\0" int32 33 <32 lowercase hex digits> 0x00
 *                      | 0x03 "doc\0" <the stored document's BSON bytes, unchanged> | 0x00
 *
 * so the stored bytes travel untouched (every BSON type, field order, int32 vs double). On import
 * `key` is optional (as in JSON lines) and the document is checked whole (it must parse as BSON
 * with valid UTF-8, at most DOC_BYTES_MAX). A record is numbered from 1 ("document N"); a length
 * prefix that cannot be a record (under 5 bytes, past the file's end, over BSON_RECORD_BYTES_MAX)
 * ends the import: nothing after it can be found.
 *
 * Invariants: encodeBsonRecord then decodeBsonRecord gives back the same key and bytes.
 */
import { DECODE_OPTIONS_EXACT } from "../../protocol/bson_options.ts";
import { BSON } from "bson";
import { encodeDocument } from "../../engine/document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { parseKey } from "../../engine/key.ts";
import { DOC_BYTES_MAX } from "../../engine/limits.ts";
import { type DecodedRecord, RecordError } from "./ejson.ts";
import type { SourceRecord } from "./import.ts";

/** Largest record: a maximal document plus the record's own fields. */
export const BSON_RECORD_BYTES_MAX = DOC_BYTES_MAX + 64;

const KEY_HEX_DIGITS = 32;
const encoder = new TextEncoder();
const KEY_ELEMENT = encoder.encode("\x02key\0");
const DOC_ELEMENT = encoder.encode("\x03doc\0");

/** The record for a stored document. */
export function encodeBsonRecord(key: string, doc: Uint8Array): Uint8Array {
  const total = 4 + KEY_ELEMENT.length + 4 + KEY_HEX_DIGITS + 1 + DOC_ELEMENT.length + doc.length + 1;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setInt32(0, total, true);
  let at = 4;
  out.set(KEY_ELEMENT, at);
  at += KEY_ELEMENT.length;
  view.setInt32(at, KEY_HEX_DIGITS + 1, true);
  at += 4;
  out.set(encoder.encode(key), at);
  at += KEY_HEX_DIGITS + 1; // the string's NUL is already zero
  out.set(DOC_ELEMENT, at);
  at += DOC_ELEMENT.length;
  out.set(doc, at);
  at += doc.length + 1;
  if (at !== total || key.length !== KEY_HEX_DIGITS) {
    throw new Error("a BSON record fills its buffer exactly");
  }
  return out;
}

/** Decodes one record. @throws RecordError naming the field at fault */
export function decodeBsonRecord(record: Uint8Array): DecodedRecord {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (record.length < 5 || view.getInt32(0, true) !== record.length || record[record.length - 1] !== 0) {
    throw new RecordError("not a BSON document (bad length prefix or terminator)");
  }
  let key: string | undefined;
  let doc: Uint8Array | undefined;
  let at = 4;
  while (at < record.length - 1) {
    const type = record[at++];
    const nameEnd = record.indexOf(0, at);
    if (nameEnd < 0 || nameEnd >= record.length - 1) throw new RecordError("truncated field name");
    const name = new TextDecoder().decode(record.subarray(at, nameEnd));
    at = nameEnd + 1;
    if (name === "key" && type === 0x02 && key === undefined && doc === undefined) {
      const length = at + 4 <= record.length ? view.getInt32(at, true) : -1;
      if (length < 1 || at + 4 + length > record.length - 1 || record[at + 4 + length - 1] !== 0) {
        throw new RecordError('"key" is not a BSON string', "key");
      }
      const text = new TextDecoder().decode(record.subarray(at + 4, at + 4 + length - 1));
      try {
        key = parseKey(text);
      } catch (error) {
        throw new RecordError((error as Error).message, "key");
      }
      at += 4 + length;
    } else if (name === "doc" && type === 0x03 && doc === undefined) {
      const length = at + 4 <= record.length ? view.getInt32(at, true) : -1;
      if (length < 5 || at + length > record.length - 1) {
        throw new RecordError('"doc" overruns the record', "doc");
      }
      doc = record.subarray(at, at + length);
      at += length;
    } else {
      throw new RecordError(
        `unexpected field "${name.slice(0, 60)}" (type 0x${
          type.toString(16)
        }): a record is {key: string, doc: document}`,
        name,
      );
    }
  }
  if (doc === undefined) throw new RecordError('the record has no "doc" document', "doc");
  try {
    BSON.deserialize(doc, { ...DECODE_OPTIONS_EXACT, validation: { utf8: true } });
  } catch (error) {
    throw new RecordError(`invalid BSON: ${(error as Error).message}`, "doc");
  }
  try {
    return { key, bytes: encodeDocument(doc.slice(), "doc") };
  } catch (error) {
    throw new RecordError((error as Error).message, "doc");
  }
}

/**
 * The records of a BSON file, read from `input` in order; `line` is the document number and the
 * rejects text is `{"offset":N,"base64":"…"}`. @throws PlanckError `invalid_argument` for a length
 * prefix that cannot be a record (naming its number and offset)
 */
export async function* bsonRecords(input: ReadableStream<Uint8Array>): AsyncGenerator<SourceRecord> {
  const reader = input.getReader();
  let buffer = new Uint8Array(0);
  let consumed = 0;
  let done = false;
  const fill = async (needed: number): Promise<boolean> => {
    while (buffer.length < needed && !done) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        break;
      }
      const grown = new Uint8Array(buffer.length + next.value.length);
      grown.set(buffer);
      grown.set(next.value, buffer.length);
      buffer = grown;
    }
    return buffer.length >= needed;
  };
  try {
    for (let number = 1;; number++) {
      if (!await fill(4)) {
        if (buffer.length === 0) return;
        throw framing(number, consumed, `${buffer.length} stray bytes at the end`);
      }
      const length = new DataView(buffer.buffer, buffer.byteOffset, 4).getInt32(0, true);
      if (length < 5 || length > BSON_RECORD_BYTES_MAX) {
        throw framing(number, consumed, `length prefix ${length}`);
      }
      if (!await fill(length)) {
        throw framing(number, consumed, `the file ends inside it (${length} bytes declared)`);
      }
      const raw = buffer.slice(0, length);
      buffer = buffer.subarray(length);
      const offset = consumed;
      consumed += length;
      yield {
        line: number,
        get text() { // only a reject needs it
          return JSON.stringify({ offset, base64: base64(raw) });
        },
        end: consumed,
        decode: () => decodeBsonRecord(raw),
      };
    }
  } finally {
    reader.releaseLock();
  }
}

function framing(number: number, offset: number, what: string): PlanckError {
  return new PlanckError(
    "invalid_argument",
    `BSON document ${number} at byte ${offset} cannot be read: ${what}; nothing after it can be found`,
    { offset },
  );
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
