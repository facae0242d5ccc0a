/** Operations: export and import, backups (online and offline, directory or tar), verify, restore (docs/operations.md). */
export { type DecodedRecord, decodeRecord, EJSON_OPTIONS, encodeRecord, RecordError } from "./ejson.ts";
export {
  databaseRows,
  type ExportResult,
  exportRows,
  parseExportFilter,
  type Row,
  type RowSource,
  type StreamFormat,
} from "./export.ts";
export {
  type BadRecord,
  type BatchSink,
  databaseSink,
  IMPORT_BATCH_RECORDS,
  importLines,
  type ImportOp,
  type ImportOptions,
  importRecords,
  type ImportResult,
  jsonlRecords,
  type KeyMode,
  type SourceRecord,
  VALIDATED_KEPT_BYTES_MAX,
  validateLines,
  validateRecords,
} from "./import.ts";
export { Progress } from "./progress.ts";
export { backupDirectory, inventory } from "./backup.ts";
export { listFiles, type Manifest, MANIFEST_FILE, readManifest } from "./manifest.ts";
export { restoreBackup, verifyBackup, verifyChecksums, type VerifyResult } from "./verify.ts";
export {
  BACKUP_READ_BYTES_MAX,
  type BackupSource,
  databaseSource,
  type SourceFile,
} from "./backup_source.ts";
export { BACKUP_READS_AHEAD, backupSource } from "./online_backup.ts";
export { BACKUP_SYNC_BYTES, type BackupSink, directorySink, tarSink } from "./backup_sink.ts";
export { remoteSource } from "./remote_source.ts";
export { extractTar, isTarPath } from "./tar.ts";
export { withBackupDir } from "./verify.ts";
export { bsonRecords, decodeBsonRecord, encodeBsonRecord } from "./bson_format.ts";
export { exportCsv } from "./csv_export.ts";
export { csvRecords, parseRow } from "./csv_import.ts";
export { checkCsvManifest, type CsvManifest } from "./csv_manifest.ts";
