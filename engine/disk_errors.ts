/**
 * Errors of the engine's files: a checksum or structure failure in a persisted file (always naming
 * the file and offset), and the mapping of an OS error from a disk write to a stable code.
 */
import { type ErrorLocation, PlanckError } from "../protocol/errors.ts";

/** A checksum or structure failure in a persisted file. Always names the file and offset. */
export class CorruptionError extends PlanckError {
  constructor(message: string, location: ErrorLocation & { file: string; offset: number }) {
    super("corruption", message, location);
    this.name = "CorruptionError";
  }
}

/** Turns an OS error from a disk write into a PlanckError with a stable code (ENOSPC → disk_full). */
export function diskError(error: unknown, file: string, action: string): PlanckError {
  const message = error instanceof Error ? error.message : String(error);
  const nospace = /ENOSPC|No space left|StorageFull/i.test(message) ||
    (error as { code?: string })?.code === "ENOSPC" ||
    (error instanceof Error && error.name === "StorageFull");
  if (nospace) {
    return new PlanckError("disk_full", `Cannot ${action} "${file}": the disk is full`, { file }, {
      cause: error,
    });
  }
  return new PlanckError("internal", `Cannot ${action} "${file}": ${message}`, { file }, { cause: error });
}
