/**
 * `planck import --format csv`: the rows of a CSV (csv_manifest.ts has the format) as import
 * records. With the export's manifest every column maps back to its path and type; without one
 * (any CSV with a header row) a column named `_key` is the key, every other header is a dotted
 * path and every non-empty cell a string.
 *
 * A record may span lines (a quoted cell with line breaks): it is numbered by the line it starts
 * on. A bad row is reported with that line and the column at fault.
 *
 * Invariants: the header must match the manifest's columns exactly (else the import stops naming
 * the first difference); a row with the wrong number of cells is a bad record, never shifted.
 */
import { BSON } from "bson";
import { encodeDocument } from "../../engine/document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { parseKey } from "../../engine/key.ts";
import { type Cell, CSV_KEY_COLUMN, type CsvColumn, type CsvManifest, parseCell } from "./csv_manifest.ts";
import { type DecodedRecord, RecordError } from "./ejson.ts";
import type { SourceRecord } from "./import.ts";

/** Splits one CSV record's text into cells. @throws RecordError for a stray quote */
export function parseRow(text: string): Cell[] {
  const cells: Cell[] = [];
  let i = 0;
  while (true) {
    if (text[i] === '"') {
      let value = "";
      let j = i + 1;
      while (true) {
        const close = text.indexOf('"', j);
        if (close < 0) throw new RecordError("unterminated quoted cell");
        value += text.slice(j, close);
        if (text[close + 1] === '"') {
          value += '"';
          j = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      cells.push({ text: value, quoted: true });
      if (i < text.length && text[i] !== ",") {
        throw new RecordError(`text after a closing quote in cell ${cells.length}`);
      }
    } else {
      const comma = text.indexOf(",", i);
      const value = comma < 0 ? text.slice(i) : text.slice(i, comma);
      if (value.includes('"')) throw new RecordError(`a quote inside unquoted cell ${cells.length + 1}`);
      cells.push({ text: value, quoted: false });
      i = comma < 0 ? text.length : comma;
    }
    if (i >= text.length) return cells;
    i++; // the comma
  }
}

/** The records of CSV `lines` (the header first), mapped through `manifest` when given. */
export async function* csvRecords(
  lines: AsyncIterable<string>,
  manifest?: CsvManifest,
): AsyncGenerator<SourceRecord> {
  let line = 0;
  let end = 0;
  let pending: { text: string; line: number } | undefined;
  let header: Header | undefined;
  for await (const text of lines) {
    line++;
    end += text.length + 1;
    const record = pending === undefined
      ? { text, line }
      : { text: `${pending.text}\n${text}`, line: pending.line };
    if (quotes(record.text) % 2 === 1) {
      pending = record; // a quoted cell goes on on the next line
      continue;
    }
    pending = undefined;
    if (header === undefined) {
      header = readHeader(record.text, manifest);
      continue;
    }
    if (record.text.trim() === "") {
      yield { line: record.line, text: record.text, end };
      continue;
    }
    const shape = header;
    yield { line: record.line, text: record.text, end, decode: () => decodeRow(record.text, shape) };
  }
  if (pending !== undefined) {
    const open = pending;
    yield {
      line: open.line,
      text: open.text,
      end,
      decode: () => {
        throw new RecordError("unterminated quoted cell at the end of the file");
      },
    };
  }
}

function quotes(text: string): number {
  let count = 0;
  for (let at = text.indexOf('"'); at >= 0; at = text.indexOf('"', at + 1)) count++;
  return count;
}

/** How a file's columns map: the key column's index (-1: none), each other column, and whether they are typed. */
interface Header {
  key: number;
  columns: (CsvColumn | undefined)[];
  typed: boolean;
}

function readHeader(text: string, manifest: CsvManifest | undefined): Header {
  let names: string[];
  try {
    names = parseRow(text).map((cell) => cell.text);
  } catch (error) {
    throw new PlanckError("invalid_argument", `CSV header (line 1): ${(error as Error).message}`, {
      line: 1,
    });
  }
  if (manifest === undefined) {
    const key = names.indexOf(CSV_KEY_COLUMN);
    return {
      key,
      columns: names.map((name, i): CsvColumn | undefined =>
        i === key ? undefined : { name, path: name.split("."), type: "string" }
      ),
      typed: false,
    };
  }
  const expected = [manifest.key, ...manifest.columns.map((column) => column.name)];
  for (let i = 0; i < Math.max(expected.length, names.length); i++) {
    if (names[i] !== expected[i]) {
      throw new PlanckError(
        "invalid_argument",
        `CSV header column ${i + 1} is ${JSON.stringify(names[i] ?? null)}, the manifest says ${
          JSON.stringify(expected[i] ?? null)
        }`,
        { line: 1, field: expected[i] ?? names[i] },
      );
    }
  }
  return { key: 0, columns: [undefined, ...manifest.columns], typed: true };
}

function decodeRow(text: string, header: Header): DecodedRecord {
  const cells = parseRow(text);
  if (cells.length !== header.columns.length) {
    throw new RecordError(`${cells.length} cells, the header has ${header.columns.length}`);
  }
  const doc: Record<string, unknown> = {};
  let key: string | undefined;
  for (const [i, cell] of cells.entries()) {
    if (!cell.quoted && cell.text === "") continue; // absent
    const column = header.columns[i];
    if (column === undefined) {
      try {
        key = parseKey(cell.text);
      } catch (error) {
        throw new RecordError((error as Error).message, CSV_KEY_COLUMN);
      }
      continue;
    }
    const value = header.typed ? parseCell(cell, column) : cell.text;
    place(doc, column, value);
  }
  try {
    return { key, bytes: encodeDocument(BSON.serialize(doc), "doc") };
  } catch (error) {
    throw new RecordError((error as Error).message);
  }
}

function place(doc: Record<string, unknown>, column: CsvColumn, value: unknown): void {
  let at = doc;
  for (const name of column.path.slice(0, -1)) {
    const next = Object.hasOwn(at, name) ? at[name] : (at[name] = {});
    if (
      next === null || typeof next !== "object" || Array.isArray(next) || next instanceof Date ||
      "_bsontype" in next
    ) {
      throw new RecordError(`"${name}" is both a value and an object`, column.name);
    }
    at = next as Record<string, unknown>;
  }
  const leaf = column.path.at(-1)!;
  if (Object.hasOwn(at, leaf)) throw new RecordError(`"${column.name}" is given twice`, column.name);
  at[leaf] = value;
}
