/**
 * `planck export --format csv`: two passes over one read of the store. Pass 1 reads the rows once
 * (filtered), spools them as BSON records (bson_format.ts) to a scratch file next to the output
 * and learns the columns and their types (every leaf path; a new one goes right after the field
 * before it in its document, so documents sharing one field order keep it); pass 2 reads the
 * spool and writes the header and one row per document, then the manifest (csv_manifest.ts).
 *
 * Invariants: every row has exactly 1 + columns cells; the manifest is written after the CSV and
 * describes it exactly; the spool is removed whatever happens.
 */
import { BSON } from "bson";
import { decodeDocument } from "../../engine/document.ts";
import { bsonRecords, encodeBsonRecord } from "./bson_format.ts";
import {
  CSV_DECODE_OPTIONS,
  CSV_KEY_COLUMN,
  CSV_MANIFEST_FORMAT,
  CSV_MANIFEST_VERSION,
  type CsvColumn,
  type CsvManifest,
  type CsvType,
  formatCell,
  kindOf,
  quote,
} from "./csv_manifest.ts";
import type { ExportResult, RowSource } from "./export.ts";
import type { Progress } from "./progress.ts";
import type { Predicate } from "../../engine/query/filter.ts";

/** Output is written in chunks of about this many characters. */
const CSV_CHUNK_CHARS = 1024 * 1024;

/** The leaves of a document: [path, value, kind]; non-empty objects are walked into. */
export function* leaves(
  doc: Record<string, unknown>,
  prefix: string[] = [],
): Generator<[string[], unknown, string]> {
  for (const [name, value] of Object.entries(doc)) {
    const path = [...prefix, name];
    const kind = kindOf(value);
    if (kind === "object") yield* leaves(value as Record<string, unknown>, path);
    else yield [path, value, kind];
  }
}

/** Writes `rows` as CSV to `outPath` and the manifest to `manifestPath`. */
export async function exportCsv(
  rows: RowSource,
  store: string,
  outPath: string,
  manifestPath: string,
  options: { filter?: Predicate; progress?: Progress } = {},
): Promise<ExportResult> {
  const slash = outPath.lastIndexOf("/");
  const spoolPath = await Deno.makeTempFile({
    dir: slash < 0 ? "." : outPath.slice(0, slash) || "/",
    prefix: ".planck_csv_",
  });
  try {
    const columns = new Map<string, { path: string[]; kinds: Set<string> }>();
    /** Column ids in order: a new one goes right after the field before it in its document. */
    const order: string[] = [];
    let count = 0;
    {
      using spool = await Deno.open(spoolPath, { write: true, truncate: true });
      const writer = spool.writable.getWriter();
      for await (const row of rows) {
        if (options.filter !== undefined && !options.filter(decodeDocument(row.bytes), row.key)) continue;
        const doc = BSON.deserialize(row.bytes, CSV_DECODE_OPTIONS);
        let previous: string | undefined;
        for (const [path, , kind] of leaves(doc)) {
          const id = JSON.stringify(path);
          let column = columns.get(id);
          if (column === undefined) {
            columns.set(id, column = { path, kinds: new Set() });
            order.splice(previous === undefined ? 0 : order.indexOf(previous) + 1, 0, id);
          }
          if (kind !== "null") column.kinds.add(kind);
          previous = id;
        }
        await writer.write(encodeBsonRecord(row.key, row.bytes));
        count++;
      }
      await writer.close();
    }
    const list: CsvColumn[] = order.map((id) => columns.get(id)!).map(({ path, kinds }) => ({
      name: path.join("."),
      path,
      type: kinds.size === 1 ? [...kinds][0] as CsvType : kinds.size === 0 ? "string" : "ejson",
    }));
    const index = new Map(list.map((column, i) => [JSON.stringify(column.path), i]));
    const result: ExportResult = { records: 0, bytes: 0 };
    const encoder = new TextEncoder();
    {
      using out = await Deno.open(outPath, { write: true, create: true, truncate: true });
      let chunk = [CSV_KEY_COLUMN, ...list.map((column) => column.name)].map(quote).join(",") + "\n";
      const flush = async () => {
        const bytes = encoder.encode(chunk);
        chunk = "";
        for (let at = 0; at < bytes.length;) at += await out.write(bytes.subarray(at));
        result.bytes += bytes.length;
        options.progress?.update(result.records, result.bytes);
      };
      using spool = await Deno.open(spoolPath);
      for await (const record of bsonRecords(spool.readable)) {
        const { key, bytes } = record.decode!();
        const cells = new Array<string>(list.length).fill("");
        for (const [path, value] of leaves(BSON.deserialize(bytes, CSV_DECODE_OPTIONS))) {
          const i = index.get(JSON.stringify(path))!;
          cells[i] = formatCell(value, list[i].type);
        }
        chunk += `${key},${cells.join(",")}\n`;
        result.records++;
        if (chunk.length >= CSV_CHUNK_CHARS) await flush();
      }
      await flush();
    }
    const manifest: CsvManifest = {
      format: CSV_MANIFEST_FORMAT,
      version: CSV_MANIFEST_VERSION,
      store,
      rows: count,
      key: CSV_KEY_COLUMN,
      columns: list,
    };
    await Deno.writeTextFile(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
    options.progress?.done(result.records, result.bytes);
    return result;
  } finally {
    await Deno.remove(spoolPath).catch(() => {});
  }
}
