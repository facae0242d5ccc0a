/**
 * The replication epoch history of a data directory, `<data>/replication.epoch`
 * (docs/replication.md, "Epoch file"). Epoch 1 starts at LSN 1 and is implied while the file is
 * absent; `planck promote` appends an epoch that starts after the promoted replica's last LSN, and a
 * replica adopts its primary's history. Every LSN belongs to exactly one epoch: the last entry whose
 * start LSN is at or below it.
 *
 * Layout (little-endian): 0 magic "PLNKEPO\0" (8) | 8 u32 version (1) | 12 u32 CRC-32 of bytes 16..end
 * | 16 u32 count n | 20 u32 reserved (0) | 24 n entries of { u64 epoch, u64 start LSN } (16 bytes each).
 *
 * Invariants: epochs strictly increase and start LSNs never decrease; the file is replaced
 * atomically (write a temporary file, fsync, rename, fsync the directory), so a crash leaves the old
 * history or the new one, never a mix; a file that fails its checks is a `corruption` error.
 */
import { crc32 } from "../../engine/checksum.ts";
import { CorruptionError } from "../../engine/disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";

/** The file's name inside the data directory. */
export const EPOCH_FILE = "replication.epoch";
const MAGIC = new TextEncoder().encode("PLNKEPO\0");
const VERSION = 1;
const HEADER_BYTES = 24;
const ENTRY_BYTES = 16;
/** Most epochs a history holds (one per promotion; a bound on outside input). */
export const EPOCHS_MAX = 4096;

/** One epoch: its number and the first LSN written in it. */
export interface Epoch {
  epoch: number;
  startLsn: number;
}

/** The history a data directory starts with. */
export const FIRST_EPOCH: Epoch = { epoch: 1, startLsn: 1 };

/** Reads the history of `dataDir` ([FIRST_EPOCH] when the file is absent). @throws CorruptionError */
export function readEpochs(dataDir: string): Epoch[] {
  const path = `${dataDir}/${EPOCH_FILE}`;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [FIRST_EPOCH];
    throw error;
  }
  const bad = (reason: string, offset = 0) =>
    new CorruptionError(`Cannot read "${EPOCH_FILE}": ${reason}`, { file: path, offset });
  if (bytes.length < HEADER_BYTES) throw bad("the file is shorter than its header");
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) throw bad("bad magic number");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw bad(`unsupported version ${version} (this build reads ${VERSION})`, 8);
  const count = view.getUint32(16, true);
  if (count < 1 || count > EPOCHS_MAX || bytes.length !== HEADER_BYTES + count * ENTRY_BYTES) {
    throw bad(`impossible entry count ${count} for ${bytes.length} bytes`, 16);
  }
  if (view.getUint32(12, true) !== crc32(bytes, 16, bytes.length)) throw bad("checksum mismatch", 12);
  const epochs: Epoch[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * ENTRY_BYTES;
    epochs.push({
      epoch: Number(view.getBigUint64(at, true)),
      startLsn: Number(view.getBigUint64(at + 8, true)),
    });
  }
  checkEpochs(epochs);
  return epochs;
}

/** Encodes a history (the file's bytes). */
export function encodeEpochs(epochs: readonly Epoch[]): Uint8Array {
  checkEpochs(epochs);
  const bytes = new Uint8Array(HEADER_BYTES + epochs.length * ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(16, epochs.length, true);
  epochs.forEach((entry, i) => {
    view.setBigUint64(HEADER_BYTES + i * ENTRY_BYTES, BigInt(entry.epoch), true);
    view.setBigUint64(HEADER_BYTES + i * ENTRY_BYTES + 8, BigInt(entry.startLsn), true);
  });
  view.setUint32(12, crc32(bytes, 16, bytes.length), true);
  return bytes;
}

/** Replaces the history of `dataDir` atomically and durably. */
export function writeEpochs(dataDir: string, epochs: readonly Epoch[]): void {
  const path = `${dataDir}/${EPOCH_FILE}`;
  const temp = `${path}.tmp`;
  const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
  try {
    const bytes = encodeEpochs(epochs);
    let at = 0;
    while (at < bytes.length) at += file.writeSync(bytes.subarray(at));
    file.syncSync();
  } finally {
    file.close();
  }
  Deno.renameSync(temp, path);
  const dir = Deno.openSync(dataDir, { read: true });
  try {
    dir.syncSync();
  } finally {
    dir.close();
  }
}

/** Checks a history (from a file or from a primary). @throws PlanckError `invalid_argument` */
export function checkEpochs(epochs: readonly Epoch[]): void {
  const bad = (why: string) => new PlanckError("invalid_argument", `Invalid epoch history: ${why}`);
  if (epochs.length < 1 || epochs.length > EPOCHS_MAX) throw bad(`${epochs.length} entries`);
  for (let i = 0; i < epochs.length; i++) {
    const { epoch, startLsn } = epochs[i];
    if (!Number.isSafeInteger(epoch) || epoch < 1 || !Number.isSafeInteger(startLsn) || startLsn < 1) {
      throw bad(`entry ${i} is not two whole numbers >= 1`);
    }
    if (i > 0 && (epoch <= epochs[i - 1].epoch || startLsn < epochs[i - 1].startLsn)) {
      throw bad(`entry ${i} does not follow entry ${i - 1}`);
    }
  }
}

/** The current (last) epoch of a history. */
export function currentEpoch(epochs: readonly Epoch[]): number {
  return epochs[epochs.length - 1].epoch;
}

/**
 * The last LSN that a server whose history ends in `epoch` shares with the history `epochs`: the LSN
 * before the first epoch after `epoch` started (Infinity when `epoch` is the current one).
 */
export function sharedUpTo(epochs: readonly Epoch[], epoch: number): number {
  const later = epochs.find((entry) => entry.epoch > epoch);
  return later === undefined ? Infinity : later.startLsn - 1;
}
