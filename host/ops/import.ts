/**
 * `planck import`: JSON lines (ejson.ts) into a store, in atomic batches through a BatchSink (an
 * open Database's batch API offline, the wire's `transaction` op online; cli/import.ts builds it).
 *
 * Without `skipBad`, `validateLines` reads the whole input first and nothing is written if any
 * record is bad; every bad one is reported with its line (and field). With `skipBad`, bad records
 * (and records a commit refuses, e.g. a key that already exists) go to the rejects output with
 * their reason, and the rest are imported.
 *
 * Invariants: each batch commits whole or not at all; a record is counted exactly once, as
 * imported or rejected; line numbers are 1-based and count empty lines.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { batch } from "../../engine/db/store.ts";
import { createMissingStores } from "../../engine/db/missing_stores.ts";
import { type DecodedRecord, decodeRecord, RecordError } from "./ejson.ts";
import type { Progress } from "./progress.ts";

/** Records per atomic batch. */
export const IMPORT_BATCH_RECORDS = 10_000;
/** Document bytes per atomic batch (well under a WAL group's limit). */
export const IMPORT_BATCH_BYTES_MAX = 8 * 1024 * 1024;
/** Bad records `validateLines` keeps (it counts all). */
export const BAD_RECORDS_KEPT_MAX = 100;

/** A write the sink commits: a document's bytes, under its key or a new one. */
export interface ImportOp {
  bytes: Uint8Array;
  key?: string;
}

/** Where import writes: `commit` is one atomic group. */
export interface BatchSink {
  commit(store: string, ops: readonly ImportOp[]): Promise<void>;
}

/** A record that could not be imported. */
export interface BadRecord {
  line: number;
  field?: string;
  reason: string;
  record: string;
}

/** How `--keys` treats the exported key: `keep` inserts under it, `new` gives each document a new key. */
export type KeyMode = "keep" | "new";

/** What an import did. */
export interface ImportResult {
  lines: number;
  imported: number;
  rejected: number;
}

/** A BatchSink over an open database. */
export function databaseSink(db: Database): BatchSink {
  return {
    async commit(store, ops) {
      await createMissingStores(db, [store]);
      await batch(db, ops.map((op) => ({ op: "insert", store, doc: op.bytes, key: op.key })));
    },
  };
}

/**
 * One record of an input file, whatever its format: where it starts (line for JSON lines and CSV,
 * document number for BSON), its text for the rejects file, and its decoder. A blank line is a
 * record with `decode` undefined (counted, skipped).
 */
export interface SourceRecord {
  line: number;
  text: string;
  /** Input bytes up to the end of this record (progress). */
  end: number;
  decode?: () => DecodedRecord;
}

/** The records of JSON lines. */
export async function* jsonlRecords(lines: AsyncIterable<string>): AsyncGenerator<SourceRecord> {
  let line = 0;
  let end = 0;
  for await (const text of lines) {
    line++;
    end += text.length + 1;
    yield text.trim() === "" ? { line, text, end } : { line, text, end, decode: () => decodeRecord(text) };
  }
}

/** Reads every line and returns the bad records (at most BAD_RECORDS_KEPT_MAX) and the count. */
export function validateLines(
  lines: AsyncIterable<string>,
): Promise<{ bad: BadRecord[]; badCount: number; lines: number }> {
  return validateRecords(jsonlRecords(lines));
}

/** Decoded documents `validateRecords` keeps for the import pass, in bytes at most. */
export const VALIDATED_KEPT_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Decodes every record and returns the bad ones (at most BAD_RECORDS_KEPT_MAX), their count and the
 * last line. With `keep`, a file of at most VALIDATED_KEPT_BYTES_MAX of documents and no bad record
 * also gives back what it decoded (`kept`: the records again, each decoding to its kept result, text
 * dropped — for an import without rejects), so the import pass reads and decodes nothing again.
 */
export async function validateRecords(
  records: AsyncIterable<SourceRecord>,
  options: { keep?: boolean } = {},
): Promise<{ bad: BadRecord[]; badCount: number; lines: number; kept?: SourceRecord[] }> {
  const bad: BadRecord[] = [];
  let badCount = 0;
  let last: SourceRecord | undefined;
  let kept: SourceRecord[] | undefined = options.keep ? [] : undefined;
  let keptBytes = 0;
  for await (const record of records) {
    last = record;
    if (record.decode === undefined) continue;
    try {
      const result = record.decode();
      if (kept !== undefined) {
        keptBytes += result.bytes.length;
        if (keptBytes <= VALIDATED_KEPT_BYTES_MAX) {
          kept.push({ line: record.line, text: "", end: record.end, decode: () => result });
        } else kept = undefined;
      }
      continue;
    } catch (error) {
      kept = undefined;
      badCount++;
      if (bad.length < BAD_RECORDS_KEPT_MAX) bad.push(badRecord(error, record.text, record.line));
    }
  }
  // A blank last line still counts in the import's `lines`.
  if (kept !== undefined && last !== undefined && last.decode === undefined) kept.push(last);
  const lines = last?.line ?? 0;
  return kept === undefined ? { bad, badCount, lines } : { bad, badCount, lines, kept };
}

function badRecord(error: unknown, text: string, line: number): BadRecord {
  if (!(error instanceof RecordError) && !(error instanceof PlanckError)) throw error;
  const field = error instanceof RecordError ? error.field : error.location.field;
  return field === undefined ? { line, reason: error.message, record: text } : {
    line,
    field,
    reason: error.message,
    record: text,
  };
}

/** Options of an import. */
export interface ImportOptions {
  store: string;
  keys: KeyMode;
  /** Records per batch (default IMPORT_BATCH_RECORDS). */
  batchRecords?: number;
  onReject?: (bad: BadRecord) => Promise<void>;
  progress?: Progress;
}

/** Imports JSON `lines` into `store` (importRecords over jsonlRecords). */
export function importLines(
  lines: AsyncIterable<string>,
  sink: BatchSink,
  options: ImportOptions,
): Promise<ImportResult> {
  return importRecords(jsonlRecords(lines), sink, options);
}

/** Imports `records` into `store`. Bad records go to `onReject` when given, else they throw. */
export async function importRecords(
  records: AsyncIterable<SourceRecord> | Iterable<SourceRecord>,
  sink: BatchSink,
  options: ImportOptions,
): Promise<ImportResult> {
  const result: ImportResult = { lines: 0, imported: 0, rejected: 0 };
  const batchRecords = options.batchRecords ?? IMPORT_BATCH_RECORDS;
  if (!(Number.isInteger(batchRecords) && batchRecords >= 1)) throw new RangeError("batchRecords >= 1");
  let pending: { op: ImportOp; line: number; text: string }[] = [];
  let pendingBytes = 0;
  let committing: Promise<void> = Promise.resolve();
  let rejecting: Promise<void> = Promise.resolve();
  let bytesRead = 0;
  const reject = async (bad: BadRecord) => {
    if (options.onReject === undefined) {
      const where = bad.field === undefined ? "" : ` field "${bad.field}":`;
      throw new PlanckError("invalid_argument", `Bad record at line ${bad.line}:${where} ${bad.reason}`, {
        line: bad.line,
        field: bad.field,
      });
    }
    result.rejected++;
    const onReject = options.onReject;
    rejecting = rejecting.then(() => onReject(bad)); // in order, one at a time (a batch commits meanwhile)
    await rejecting;
  };
  const commit = async (group: typeof pending) => {
    if (group.length === 0) return;
    try {
      await sink.commit(options.store, group.map((item) => item.op));
      result.imported += group.length;
    } catch (error) {
      if (!(error instanceof PlanckError) && !(error instanceof Error && "code" in error)) throw error;
      if (options.onReject === undefined) {
        throw new PlanckError(
          "invalid_argument",
          `Batch of lines ${group[0].line}-${group.at(-1)!.line} was refused: ${(error as Error).message}`,
          { line: group[0].line },
        );
      }
      await commitOneByOne(group);
    }
    options.progress?.update(result.imported + result.rejected, bytesRead);
  };
  const commitOneByOne = async (group: typeof pending) => {
    for (const item of group) {
      try {
        await sink.commit(options.store, [item.op]);
        result.imported++;
      } catch (error) {
        if (!(error instanceof Error && "code" in error)) throw error;
        await reject({ line: item.line, reason: error.message, record: item.text });
      }
    }
  };
  for await (const source of records) {
    result.lines = source.line;
    bytesRead = source.end;
    if (source.decode === undefined) continue;
    let op: ImportOp;
    try {
      const record = source.decode();
      op = options.keys === "keep" && record.key !== undefined
        ? { bytes: record.bytes, key: record.key }
        : { bytes: record.bytes };
    } catch (error) {
      await reject(badRecord(error, source.text, source.line));
      continue;
    }
    if (pending.length >= batchRecords || pendingBytes + op.bytes.length > IMPORT_BATCH_BYTES_MAX) {
      // One batch commits (its fsync on the thread pool) while the next is decoded; never two at once,
      // so a refused batch stops the import before any later one is written.
      await committing;
      committing = commit(pending);
      committing.catch(() => {}); // awaited before the next commit or at the end
      pending = [];
      pendingBytes = 0;
    }
    pending.push({ op, line: source.line, text: source.text });
    pendingBytes += op.bytes.length;
  }
  await committing;
  await commit(pending);
  options.progress?.done(result.imported + result.rejected, bytesRead);
  return result;
}
