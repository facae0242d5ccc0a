/**
 * `planck export STORE`: a store's documents as JSON lines (host/ops/export.ts), from a data
 * directory opened in-process (`--data`) or a running server (`--connect`, paged scans).
 */
import { BSON } from "bson";
import type { Key } from "../engine/key.ts";
import { keyAfter } from "../engine/query/key_bounds.ts";
import { databaseRows, exportRows, parseExportFilter, Progress, type Row } from "../host/ops/mod.ts";
import type { PlanckClient } from "../client/mod.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";

export const EXPORT_USAGE =
  `planck export STORE [--filter PQL] [--format jsonl] [--out PATH] [--connect STR | --data DIR]

  Writes every document of STORE (or those --filter matches; its text is what goes inside
  .filter(…) in PQL, e.g. 'status = "open" and n > 2') as JSON lines in canonical extended JSON:
  {"key":"<32 hex>","doc":{…}} (docs/operations.md). To stdout unless --out. Progress on stderr.
  Example:
    planck export orders --data data --out orders.jsonl`;

/** Documents per scan request when exporting from a server. */
export const EXPORT_PAGE_ROWS = 1_000;

/** Runs `planck export`. */
export async function runExport(args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    flags: [...TARGET_FLAGS, "--filter", "--format", "--out"],
    switches: ["--quiet"],
  });
  if (parsed.positionals.length !== 1) throw new UsageError("give one STORE");
  checkFormat(parsed.flags.get("--format"));
  const [store] = parsed.positionals;
  const filterText = parsed.flags.get("--filter");
  const filter = filterText === undefined ? undefined : parseExportFilter(filterText);
  const outPath = parsed.flags.get("--out");
  const target = await openTarget(parsed, { local: true });
  try {
    const rows = target.kind === "local"
      ? databaseRows(target.local.db, store)
      : serverRows(target.client, store);
    const file = outPath === undefined
      ? undefined
      : await Deno.open(outPath, { write: true, create: true, truncate: true });
    const writer = (file?.writable ?? Deno.stdout.writable).getWriter();
    const progress = new Progress(`export ${store}`, { quiet: parsed.switches.has("--quiet") });
    try {
      await exportRows(rows, writer, { filter, progress });
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

/** @throws UsageError for any format but jsonl */
export function checkFormat(format: string | undefined): void {
  if (format !== undefined && format !== "jsonl") {
    throw new UsageError(
      `--format "${format}" is not supported: only jsonl is built (bson and csv are not yet)`,
    );
  }
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
