/**
 * The CSV form of export/import and its manifest (docs/operations.md, "CSV"). The CSV is RFC 4180
 * (comma, `"` quoting with `""` inside, `\n` line ends written, `\r\n` read); its first row is the
 * header. The manifest `PATH.manifest.json` says how each column maps back to a document field:
 *
 *   {"format": "planck-csv", "version": 1, "store": "orders", "rows": N,
 *    "key": "_key",                                   the first column: the document's key
 *    "columns": [{"name": "customer.name", "path": ["customer", "name"], "type": "string"}, …]}
 *
 * Nested objects are flattened into one column per leaf, named by the dotted path (the `path`
 * array is exact even when a field name holds a dot); arrays, empty objects and values of mixed
 * or CSV-less types are one `ejson` cell (canonical extended JSON). Cells:
 *   - empty and unquoted: the field is absent;     - unquoted `null`: null;
 *   - `string` columns: the text, always quoted;  - `ejson` columns: the EJSON text, quoted;
 *   - `int32`, `int64`: decimal digits;            - `double`: JS number text, `NaN`, `Infinity`, `-0`;
 *   - `boolean`: `true`/`false`;                   - `date`: ISO 8601 with milliseconds, UTC;
 *   - `decimal128`: its string (trailing zeros kept); - `objectId`: 24 hex digits.
 * A column's type is the one type of every non-null value in it, else `ejson`.
 *
 * Invariants: formatCell then parseCell gives back the same BSON value for the column's type.
 */
import { DECODE_OPTIONS_EXACT } from "../../protocol/bson_options.ts";
import { BSON, Decimal128, Double, EJSON, Int32, Long, ObjectId } from "bson";
import { RecordError } from "./ejson.ts";

/** The manifest format name and version. */
export const CSV_MANIFEST_FORMAT = "planck-csv";
export const CSV_MANIFEST_VERSION = 1;
/** The header of the key column. */
export const CSV_KEY_COLUMN = "_key";

/** Column types. */
export const CSV_TYPES = [
  "string",
  "int32",
  "int64",
  "double",
  "boolean",
  "date",
  "decimal128",
  "objectId",
  "ejson",
] as const;
export type CsvType = typeof CSV_TYPES[number];

/** One column. */
export interface CsvColumn {
  name: string;
  path: string[];
  type: CsvType;
}

/** A CSV export's manifest. */
export interface CsvManifest {
  format: typeof CSV_MANIFEST_FORMAT;
  version: typeof CSV_MANIFEST_VERSION;
  store: string;
  rows: number;
  key: string;
  columns: CsvColumn[];
}

/** A cell as read: its text and whether it was quoted. */
export interface Cell {
  text: string;
  quoted: boolean;
}

/** What kind of value `value` is (a CSV type, "null", "object" to flatten, or "ejson"). */
export function kindOf(value: unknown): CsvType | "null" | "object" {
  if (value === null) return "null";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "ejson" : "date";
  if (Array.isArray(value)) return "ejson";
  const type = (value as { _bsontype?: string })._bsontype;
  if (type === undefined) return Object.keys(value as object).length > 0 ? "object" : "ejson";
  const kinds: Record<string, CsvType> = {
    Int32: "int32",
    Double: "double",
    Long: "int64",
    Decimal128: "decimal128",
    ObjectId: "objectId",
  };
  return kinds[type] ?? "ejson";
}

/** The cell text for `value` in a column of `type` (quoting included). */
export function formatCell(value: unknown, type: CsvType): string {
  if (value === null) return "null";
  switch (type) {
    case "string":
      return quote(value as string);
    case "int32":
      return String((value as Int32).value);
    case "int64":
      return (value as Long).toString();
    case "double": {
      const n = (value as Double).value;
      return Object.is(n, -0) ? "-0" : String(n);
    }
    case "boolean":
      return value ? "true" : "false";
    case "date":
      return (value as Date).toISOString();
    case "decimal128":
      return (value as Decimal128).toString();
    case "objectId":
      return (value as ObjectId).toHexString();
    case "ejson":
      return quote(EJSON.stringify({ v: value }, { relaxed: false }).slice(5, -1));
  }
}

/** A quoted CSV cell. */
export function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** The value of a present cell (not absent) for a column. @throws RecordError naming the column */
export function parseCell(cell: Cell, column: CsvColumn): unknown {
  if (!cell.quoted && cell.text === "null") return null;
  const bad = (what: string) =>
    new RecordError(`${JSON.stringify(cell.text.slice(0, 60))} is not ${what}`, column.name);
  const text = cell.text;
  switch (column.type) {
    case "string":
      return text;
    case "int32": {
      if (!INTEGER.test(text) || Number(text) !== (Number(text) | 0)) throw bad("an int32");
      return new Int32(Number(text));
    }
    case "int64": {
      if (!INTEGER.test(text) || BigInt(text) > 2n ** 63n - 1n || BigInt(text) < -(2n ** 63n)) {
        throw bad("an int64");
      }
      return Long.fromString(text);
    }
    case "double": {
      const n = Number(text);
      if (text.trim() === "" || (Number.isNaN(n) && text !== "NaN")) throw bad("a double");
      return new Double(n);
    }
    case "boolean":
      if (text !== "true" && text !== "false") throw bad("true or false");
      return text === "true";
    case "date": {
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) throw bad("an ISO 8601 date");
      return new Date(ms);
    }
    case "decimal128":
      try {
        return Decimal128.fromString(text);
      } catch {
        throw bad("a decimal128");
      }
    case "objectId":
      if (!/^[0-9a-fA-F]{24}$/.test(text)) throw bad("an ObjectId (24 hex digits)");
      return new ObjectId(text);
    case "ejson":
      try {
        return (EJSON.parse(`{"v":${text}}`, { relaxed: false }) as { v: unknown }).v;
      } catch (error) {
        throw new RecordError(`invalid extended JSON: ${(error as Error).message}`, column.name);
      }
  }
}

/** Checks a manifest read from disk. @throws RecordError-free PlanckError-free Error with the reason */
export function checkCsvManifest(value: unknown): string | undefined {
  const m = value as CsvManifest;
  if (m === null || typeof m !== "object" || m.format !== CSV_MANIFEST_FORMAT) {
    return "not a planck-csv manifest";
  }
  if (m.version !== CSV_MANIFEST_VERSION) return `version ${m.version} is not ${CSV_MANIFEST_VERSION}`;
  if (typeof m.key !== "string" || !Array.isArray(m.columns)) return "no key or columns";
  for (const [i, c] of m.columns.entries()) {
    const ok = c !== null && typeof c === "object" && typeof c.name === "string" && Array.isArray(c.path) &&
      c.path.length > 0 && c.path.every((p) => typeof p === "string") &&
      (CSV_TYPES as readonly string[]).includes(c.type);
    if (!ok) return `column ${i + 1} is not {name, path: [string…], type}`;
  }
  return undefined;
}

/** BSON decode options for reading stored documents to flatten: every type kept. */
export const CSV_DECODE_OPTIONS = DECODE_OPTIONS_EXACT;
export { BSON };
