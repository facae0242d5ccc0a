/**
 * `planck import STORE PATH`: JSON lines (host/ops/import.ts) into a store of a data directory
 * opened in-process (`--data`) or a running server (`--connect`, the `transaction` op).
 *
 * Exit codes: 0 all imported, or with --skip-bad the rest imported (rejects in PATH.rejects.jsonl);
 * 1 bad records without --skip-bad (nothing is written) or a refused batch (earlier batches stay).
 */
import { DECODE_OPTIONS_EXACT } from "../protocol/bson_options.ts";
import { BSON } from "bson";
import type { PlanckClient } from "../client/mod.ts";
import {
  type BadRecord,
  type BatchSink,
  bsonRecords,
  checkCsvManifest,
  type CsvManifest,
  csvRecords,
  databaseSink,
  importRecords,
  jsonlRecords,
  type KeyMode,
  Progress,
  type SourceRecord,
  validateRecords,
} from "../host/ops/mod.ts";
import { PlanckError } from "../protocol/errors.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { type FileFormat, formatOf } from "./export.ts";
import { readLines } from "./pql.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";

export const IMPORT_USAGE =
  `planck import STORE PATH [--format jsonl|bson|csv] [--manifest PATH] [--keys keep|new] [--skip-bad]
                [--quiet] [--connect STR | --data DIR]

  Reads what planck export writes — JSON lines {"key":"<32 hex>","doc":{…extended JSON…}}, BSON
  records, or CSV with its manifest (--manifest, default PATH.manifest.json; without one every
  cell is a string, dotted headers nest, a _key column is the key) — into STORE, creating it if
  needed, in atomic batches. The format defaults from PATH's extension (.bson, .csv), else jsonl. --keys keep (default) inserts under each
  record's key (a key that exists is refused); new gives every document a new key. Every record is
  validated first: bad ones are reported by line and field and nothing is written, unless
  --skip-bad, which imports the rest and writes the rejects with reasons to PATH.rejects.jsonl.
  Example:
    planck import orders orders.jsonl --data data`;

/** Bad records printed on stderr. */
const BAD_RECORDS_PRINTED_MAX = 20;

/** Runs `planck import`. */
export async function runImport(args: string[]): Promise<number> {
  const parsed = parseArgs(args, {
    flags: [...TARGET_FLAGS, "--format", "--keys", "--manifest"],
    switches: ["--skip-bad", "--quiet"],
  });
  if (parsed.positionals.length !== 2) throw new UsageError("give STORE and PATH");
  const keys = parsed.flags.get("--keys") ?? "keep";
  if (keys !== "keep" && keys !== "new") throw new UsageError('--keys takes "keep" or "new"');
  const [store, path] = parsed.positionals;
  const format = formatOf(parsed.flags.get("--format"), path);
  await requireFile(path);
  const manifest = format === "csv" ? await readCsvManifest(path, parsed.flags.get("--manifest")) : undefined;
  if (format !== "csv" && parsed.flags.has("--manifest")) {
    throw new UsageError("--manifest is for --format csv");
  }
  const records = () => fileRecords(path, format, manifest);
  const skipBad = parsed.switches.has("--skip-bad");
  const quiet = parsed.switches.has("--quiet");
  let kept: SourceRecord[] | undefined;
  if (!skipBad) {
    const validated = await validateRecords(records(), { keep: true });
    const { bad, badCount, lines } = validated;
    kept = validated.kept;
    if (badCount > 0) {
      for (const record of bad.slice(0, BAD_RECORDS_PRINTED_MAX)) {
        console.error(`planck: ${describe(path, record, format)}`);
      }
      console.error(
        `planck: ${badCount} bad record(s) in ${lines} ${
          unit(format)
        }(s) of "${path}"; nothing imported (--skip-bad imports the rest)`,
      );
      return EXIT.failed;
    }
  }
  const target = await openTarget(parsed, { local: true });
  const rejects = skipBad
    ? await Deno.open(`${path}.rejects.jsonl`, { write: true, create: true, truncate: true })
    : undefined;
  try {
    const sink = target.kind === "local" ? databaseSink(target.local.db) : serverSink(target.client);
    const encoder = new TextEncoder();
    const onReject = rejects === undefined ? undefined : async (bad: BadRecord) => {
      if (!quiet) console.error(`planck: ${describe(path, bad, format)}`);
      await rejects.write(encoder.encode(JSON.stringify(bad) + "\n"));
    };
    const progress = new Progress(`import ${store}`, { totalBytes: (await Deno.stat(path)).size, quiet });
    const again = kept ?? records(); // kept: the validation's decoded records, not read again
    const result = await importRecords(again, sink, {
      store,
      keys: keys as KeyMode,
      onReject,
      progress,
    });
    console.log(
      JSON.stringify({ imported: result.imported, rejected: result.rejected, lines: result.lines }),
    );
    if (result.rejected > 0) {
      console.error(`planck: ${result.rejected} record(s) rejected: see "${path}.rejects.jsonl"`);
    }
    return EXIT.ok;
  } finally {
    rejects?.close();
    await closeTarget(target);
  }
}

/** @throws PlanckError `not_found` naming the file */
async function requireFile(path: string): Promise<void> {
  try {
    if ((await Deno.stat(path)).isFile) return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  throw new PlanckError("not_found", `Cannot import "${path}": no such file`, { file: path });
}

function describe(path: string, bad: BadRecord, format: FileFormat): string {
  const where = format === "bson" ? `document ${bad.line}` : String(bad.line);
  return `${path}:${where}: ${bad.field === undefined ? "" : `field "${bad.field}": `}${bad.reason}`;
}

function unit(format: FileFormat): string {
  return format === "bson" ? "document" : "line";
}

async function* fileRecords(
  path: string,
  format: FileFormat,
  manifest: CsvManifest | undefined,
): AsyncGenerator<SourceRecord> {
  const file = await Deno.open(path);
  if (format === "bson") yield* bsonRecords(file.readable);
  else if (format === "csv") yield* csvRecords(readLines(file.readable), manifest);
  else yield* jsonlRecords(readLines(file.readable));
}

/** The CSV manifest: `--manifest`, else PATH.manifest.json when present, else none. */
async function readCsvManifest(path: string, flag: string | undefined): Promise<CsvManifest | undefined> {
  const manifestPath = flag ?? `${path}.manifest.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(manifestPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && flag === undefined) return undefined;
    throw new PlanckError(
      "not_found",
      `Cannot read CSV manifest "${manifestPath}": ${(error as Error).message}`,
      {
        file: manifestPath,
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlanckError(
      "invalid_argument",
      `CSV manifest "${manifestPath}" is not JSON: ${(error as Error).message}`,
      {
        file: manifestPath,
      },
    );
  }
  const problem = checkCsvManifest(value);
  if (problem !== undefined) {
    throw new PlanckError("invalid_argument", `CSV manifest "${manifestPath}": ${problem}`, {
      file: manifestPath,
    });
  }
  return value as CsvManifest;
}

/** Batches through the server's `transaction` op; documents keep their exact BSON types. */
function serverSink(client: PlanckClient): BatchSink {
  return {
    async commit(store, ops) {
      await client.batch(ops.map((op) => {
        const doc = BSON.deserialize(op.bytes, DECODE_OPTIONS_EXACT);
        return op.key === undefined
          ? { op: "insert", store, doc }
          : { op: "insert", store, doc, key: op.key };
      }));
    },
  };
}
