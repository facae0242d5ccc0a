/**
 * `planck export`: every document of a store (optionally those a PQL filter matches), in key
 * order, as JSON lines (ejson.ts). The rows come from a RowSource: an open Database (offline) or a
 * server's scan op, page by page (cli/export.ts builds it).
 *
 * Invariants: a record is written only whole, followed by "\n"; records come in key order.
 */
import type { Database } from "../../engine/db/database.ts";
import { decodeDocument } from "../../engine/document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import type { Key } from "../../engine/key.ts";
import { parsePql } from "../../engine/pql/mod.ts";
import { compileFilter, type Predicate } from "../../engine/query/filter.ts";
import { validateQuery } from "../../engine/query/validate.ts";
import { encodeBsonRecord } from "./bson_format.ts";
import { encodeRecord } from "./ejson.ts";
import type { Progress } from "./progress.ts";

/** A stored document: its key and BSON bytes. */
export interface Row {
  key: Key;
  bytes: Uint8Array;
}

/** Where export reads: rows in key order. */
export type RowSource = AsyncIterable<Row> | Iterable<Row>;

/** Output is buffered and written in chunks of this many characters. */
export const EXPORT_CHUNK_CHARS = 1024 * 1024;

/** What an export wrote. */
export interface ExportResult {
  records: number;
  bytes: number;
}

/** The rows of `store` in an open database, in key order. @throws PlanckError `not_found` */
export function* databaseRows(db: Database, store: string): Generator<Row> {
  const storeId = db.storeInfo(store).id;
  for (const [key, bytes] of db.scan(storeId)) yield { key, bytes };
}

/**
 * Compiles the text of `--filter` (what goes inside `.filter(…)` in PQL, e.g. `status = "open"`).
 * @throws PlanckError `invalid_argument` (PQL syntax errors carry line and column)
 */
export function parseExportFilter(text: string): Predicate {
  const query = validateQuery(parsePql(`export_filter.filter(${text})`));
  if (query.op !== "find") {
    throw new PlanckError("invalid_argument", `Invalid --filter "${text}": expected a filter`, {
      field: "filter",
    });
  }
  return compileFilter(query.filter, "filter");
}

/** Formats `exportRows` streams; CSV (two passes and a manifest) is csv_export.ts. */
export type StreamFormat = "jsonl" | "bson";

/** Writes the records of `rows` to `output`, as JSON lines (default) or BSON records (bson_format.ts). */
export async function exportRows(
  rows: RowSource,
  output: WritableStreamDefaultWriter<Uint8Array>,
  options: { filter?: Predicate; progress?: Progress; format?: StreamFormat } = {},
): Promise<ExportResult> {
  const encoder = new TextEncoder();
  const result: ExportResult = { records: 0, bytes: 0 };
  const bson = options.format === "bson";
  let chunk = "";
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  const flush = async () => {
    let bytes: Uint8Array;
    if (bson) {
      bytes = new Uint8Array(partBytes);
      let at = 0;
      for (const part of parts) at += (bytes.set(part, at), part.length);
      parts = [];
      partBytes = 0;
    } else {
      bytes = encoder.encode(chunk);
      chunk = "";
    }
    result.bytes += bytes.length;
    await output.write(bytes);
  };
  for await (const row of rows) {
    if (options.filter !== undefined && !options.filter(decodeDocument(row.bytes), row.key)) continue;
    if (bson) {
      const record = encodeBsonRecord(row.key, row.bytes);
      parts.push(record);
      partBytes += record.length;
    } else {
      chunk += encodeRecord(row.key, row.bytes) + "\n";
    }
    result.records++;
    if (chunk.length >= EXPORT_CHUNK_CHARS || partBytes >= EXPORT_CHUNK_CHARS) {
      await flush();
      options.progress?.update(result.records, result.bytes);
    }
  }
  await flush();
  options.progress?.done(result.records, result.bytes);
  return result;
}
