/**
 * `planck export STORE`: a store's documents as JSON lines (host/ops/export.ts), from a data
 * directory opened in-process (`--data`) or a running server (`--connect`, paged scans).
 */
import { BSON } from "bson";
import type { Key } from "../engine/key.ts";
import { keyAfter } from "../engine/query/key_bounds.ts";
import {
  databaseRows,
  exportCsv,
  exportRows,
  parseExportFilter,
  Progress,
  type Row,
} from "../host/ops/mod.ts";
import type { PlanckClient } from "../client/mod.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";

export const EXPORT_USAGE =
  `planck export STORE [--filter PQL] [--format jsonl|bson|csv] [--out PATH] [--manifest PATH] [--quiet]
                [--connect STR | --data DIR]

  Writes every document of STORE (or those --filter matches; its text is what goes inside
  .filter(…) in PQL, e.g. 'status = "open" and n > 2'), in key order, as
    jsonl  JSON lines in canonical extended JSON: {"key":"<32 hex>","doc":{…}} (the default);
    bson   length-prefixed BSON records {key, doc} back to back, as mongodump writes;
    csv    a header and one row per document, nested fields as dotted columns, with a manifest
           of columns and types (--manifest, default PATH.manifest.json; needs --out).
  The format defaults from --out's extension (.bson, .csv), else jsonl (docs/operations.md).
  To stdout unless --out. Progress on stderr. Example:
    planck export orders --data data --out orders.csv`;

/** Documents per scan request when exporting from a server. */
export const EXPORT_PAGE_ROWS = 1_000;

/** Runs `planck export`. */
export async function runExport(args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    flags: [...TARGET_FLAGS, "--filter", "--format", "--out", "--manifest"],
    switches: ["--quiet"],
  });
  if (parsed.positionals.length !== 1) throw new UsageError("give one STORE");
  const outPath = parsed.flags.get("--out");
  const format = formatOf(parsed.flags.get("--format"), outPath);
  if (format === "csv" && outPath === undefined) {
    throw new UsageError("--format csv needs --out PATH (the manifest goes beside it)");
  }
  if (format !== "csv" && parsed.flags.has("--manifest")) {
    throw new UsageError("--manifest is for --format csv");
  }
  if (format === "bson" && outPath === undefined && Deno.stdout.isTerminal()) {
    throw new UsageError("--format bson writes binary: give --out PATH or redirect stdout");
  }
  const [store] = parsed.positionals;
  const filterText = parsed.flags.get("--filter");
  const filter = filterText === undefined ? undefined : parseExportFilter(filterText);
  const target = await openTarget(parsed, { local: true });
  try {
    const rows = target.kind === "local"
      ? databaseRows(target.local.db, store)
      : serverRows(target.client, store);
    if (format === "csv") {
      const progress = new Progress(`export ${store}`, { quiet: parsed.switches.has("--quiet") });
      const manifest = parsed.flags.get("--manifest") ?? `${outPath}.manifest.json`;
      await exportCsv(rows, store, outPath!, manifest, { filter, progress });
      return EXIT.ok;
    }
    const file = outPath === undefined
      ? undefined
      : await Deno.open(outPath, { write: true, create: true, truncate: true });
    const writer = (file?.writable ?? Deno.stdout.writable).getWriter();
    const progress = new Progress(`export ${store}`, { quiet: parsed.switches.has("--quiet") });
    try {
      await exportRows(rows, writer, { filter, progress, format });
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      return EXIT.ok; // the reader went away (e.g. `| head`): stop quietly
    } finally {
      if (file !== undefined) await writer.close();
      else writer.releaseLock();
    }
    return EXIT.ok;
  } finally {
    await closeTarget(target);
  }
}

/** The file formats of export and import. */
export type FileFormat = "jsonl" | "bson" | "csv";

/** `--format`, else from the path's extension (.bson, .csv), else jsonl. @throws UsageError */
export function formatOf(format: string | undefined, path: string | undefined): FileFormat {
  if (format === undefined) {
    if (path?.endsWith(".bson")) return "bson";
    if (path?.endsWith(".csv")) return "csv";
    return "jsonl";
  }
  if (format === "jsonl" || format === "bson" || format === "csv") return format;
  throw new UsageError(`--format takes jsonl, bson or csv, not "${format}"`);
}

/**
 * A server's rows, page by page. The client decodes values (an integral double arrives as a number
 * and is re-encoded as int32); offline export (--data) keeps the stored bytes exactly.
 */
async function* serverRows(client: PlanckClient, store: string): AsyncGenerator<Row> {
  let from: Key | undefined;
  while (true) {
    const page = await client.scan(
      store,
      from === undefined ? { limit: EXPORT_PAGE_ROWS } : { from, limit: EXPORT_PAGE_ROWS },
    );
    for (const { key, ...doc } of page) yield { key, bytes: BSON.serialize(doc) };
    if (page.length < EXPORT_PAGE_ROWS) return;
    from = keyAfter(page.at(-1)!.key);
    if (from === undefined) return;
  }
}
