/**
 * A FileSystem (engine/fs.ts) over Deno's real files that injects the faults of a sick disk: writes
 * fail with ENOSPC once a byte budget is spent (optionally after writing what still fits: a partial
 * write), writes fail with EIO, writes come back short (fewer bytes than asked, no error), and
 * fdatasync can be made to fail or to take long. `faultsOn` limits the faults to some files (the
 * value log, the B+tree, the WAL). Fields are mutable so a test can spend the budget or break syncs
 * at the moment it chooses. It also records what a power cut would keep: per file, the length
 * covered by the last successful sync (`syncedBytes`), and the order of opens and syncs.
 */
import type { DbFile, FileSystem } from "../../engine/fs.ts";

/** The error Linux reports on a full disk, as Deno surfaces it. */
export function enospcError(): Error {
  return Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
}

/** The error Linux reports for a failed device write or writeback, as Deno surfaces it. */
export function eioError(): Error {
  return Object.assign(new Error("Input/output error (os error 5)"), { code: "EIO" });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A real-disk FileSystem with injectable faults. */
export class FaultyFs implements FileSystem {
  /** Bytes writes may still add, over every file this FileSystem opened. */
  budgetBytes = Infinity;
  /** When a write does not fit the budget, first write the part that fits (a partial write). */
  partialWrites = false;
  /** When set, syncData and syncDataSync throw this error. */
  syncError: Error | null = null;
  /** When set, every write throws this error (EIO) before writing anything. */
  writeError: Error | null = null;
  /** Writes write at most half of what they are asked (at least one byte) and return that count. */
  shortWrites = false;
  /** Every sync takes this much longer (a slow disk). */
  syncDelayMs = 0;
  /** The files faults apply to (default: every file). Counters and `syncedBytes` cover every file. */
  faultsOn: (path: string) => boolean = () => true;
  /** Counters for assertions. */
  writes = 0;
  syncs = 0;
  /** Faults injected: failed writes, short writes and failed syncs. */
  faults = 0;
  /** Per path: the file length the last successful sync made durable (absent: never synced). */
  readonly syncedBytes = new Map<string, number>();
  /** "open <path>" and "sync <path>" in the order they happened. */
  readonly events: string[] = [];

  openSync(path: string, options: Deno.OpenOptions): DbFile {
    const file = new FaultyFile(Deno.openSync(path, options), this, path);
    this.events.push(`open ${path}`);
    return file;
  }
}

class FaultyFile implements DbFile {
  readonly #file: Deno.FsFile;
  readonly #fs: FaultyFs;
  readonly #path: string;

  constructor(file: Deno.FsFile, fs: FaultyFs, path: string) {
    this.#file = file;
    this.#fs = fs;
    this.#path = path;
  }

  #synced(length: number): void {
    this.#fs.syncedBytes.set(this.#path, length);
    this.#fs.events.push(`sync ${this.#path}`);
  }

  get #faulty(): boolean {
    return this.#fs.faultsOn(this.#path);
  }

  writeSync(bytes: Uint8Array): number {
    const fs = this.#fs;
    fs.writes++;
    if (!this.#faulty) return this.#file.writeSync(bytes);
    if (fs.writeError !== null) {
      fs.faults++;
      throw fs.writeError;
    }
    if (fs.shortWrites && bytes.length > 1) {
      fs.faults++;
      bytes = bytes.subarray(0, Math.ceil(bytes.length / 2));
    }
    if (bytes.length <= fs.budgetBytes) {
      const written = this.#file.writeSync(bytes);
      fs.budgetBytes -= written;
      return written;
    }
    if (fs.partialWrites && fs.budgetBytes > 0) {
      const written = this.#file.writeSync(bytes.subarray(0, fs.budgetBytes));
      fs.budgetBytes -= written;
      fs.faults++;
      return written;
    }
    fs.faults++;
    throw enospcError();
  }

  readSync(bytes: Uint8Array): number | null {
    return this.#file.readSync(bytes);
  }

  seekSync(offset: number, whence: Deno.SeekMode): number {
    return this.#file.seekSync(offset, whence);
  }

  truncateSync(length?: number): void {
    this.#file.truncateSync(length);
  }

  statSync(): { size: number } {
    return this.#file.statSync();
  }

  async syncData(): Promise<void> {
    this.#fs.syncs++;
    if (this.#faulty && this.#fs.syncDelayMs > 0) {
      await new Promise((r) => setTimeout(r, this.#fs.syncDelayMs));
    }
    if (this.#faulty && this.#fs.syncError !== null) {
      this.#fs.faults++;
      throw this.#fs.syncError;
    }
    const length = this.#file.statSync().size; // what this sync covers, whatever is written meanwhile
    await this.#file.syncData();
    this.#synced(length);
  }

  syncDataSync(): void {
    this.#fs.syncs++;
    if (this.#faulty && this.#fs.syncDelayMs > 0) sleepSync(this.#fs.syncDelayMs);
    if (this.#faulty && this.#fs.syncError !== null) {
      this.#fs.faults++;
      throw this.#fs.syncError;
    }
    const length = this.#file.statSync().size;
    this.#file.syncDataSync();
    this.#synced(length);
  }

  close(): void {
    this.#file.close();
  }
}
