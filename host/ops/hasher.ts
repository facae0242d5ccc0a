/**
 * The backup worker: a thread that copies and hashes (SHA-256) a backup's files, so that neither the
 * copy's reads and writes nor hashing (the largest CPU cost of a backup) take turns of the event
 * loop, where the server's commits run. Two ways in:
 * - `copyFile`: the worker itself reads a local file (4 MiB chunks into one buffer of its own),
 *   hashes each chunk and writes it into the target file at an offset, syncing as it goes: the main
 *   thread sends one message per file and gets its digest (an in-process backup, the common case);
 * - `update`/`digest`: chunks that arrived some other way (over the wire) are hashed, handed over
 *   with their buffer transferred (no copy) when the caller owns it, the buffer coming back with the
 *   reply to be reused; other chunks are copied.
 *
 * One worker serves the whole process (`sharedHasher`): started on first use (its start-up, a few
 * hundred ms on a loaded machine, overlaps the backup's pin and listing), kept for later backups, and
 * unref'd so it never keeps the process alive. Its code is a string (node:worker_threads `eval`), so
 * it needs no file of the source tree at run time (compiled binaries have none).
 *
 * Invariants: chunks of one file are hashed in the order given; every request is answered or
 * rejected (`close` and a worker error reject what is pending).
 */
import { Worker } from "node:worker_threads";
import { PlanckError } from "../../protocol/errors.ts";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const hashes = new Map();
const buffers = []; // copy buffers not in use (two backups at once copy with two)
const fdatasync = (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => e ? reject(e) : resolve()));
// Reads, hashes and writes on this thread; each sync runs on the thread pool while the next bytes
// are copied (at most one in flight), so the disk always has work and the page cache never holds
// more than two sync intervals of the copy.
async function copyFile(m) {
  const buffer = buffers.pop() ?? new Uint8Array(m.chunkBytes);
  const hash = createHash("sha256");
  const src = fs.openSync(m.src, "r");
  let dst;
  let syncing = Promise.resolve();
  try {
    dst = fs.openSync(m.dst, "r+");
    let unsynced = 0;
    for (let at = 0; at < m.length;) {
      const want = Math.min(buffer.length, m.length - at);
      let got = 0;
      while (got < want) {
        const n = fs.readSync(src, buffer, got, want - got, at + got);
        if (n === 0) throw new Error("ended at " + (at + got) + " bytes, listed " + m.length);
        got += n;
      }
      hash.update(buffer.subarray(0, got));
      for (let put = 0; put < got;) put += fs.writeSync(dst, buffer, put, got - put, m.dstOffset + at + put);
      at += got;
      unsynced += got;
      if (unsynced >= m.syncBytes) {
        await syncing;
        syncing = fdatasync(dst);
        unsynced = 0;
      }
      if (m.progress) parentPort.postMessage({ id: m.id, progress: got });
    }
    await syncing;
    if (unsynced > 0) await fdatasync(dst);
  } finally {
    await syncing.catch(() => {});
    fs.closeSync(src);
    if (dst !== undefined) fs.closeSync(dst);
    buffers.push(buffer);
  }
  return hash.digest("hex");
}
parentPort.on("message", (m) => {
  try {
    if (m.op === "copyFile") {
      copyFile(m).then(
        (hex) => parentPort.postMessage({ id: m.id, hex }),
        (error) => parentPort.postMessage({ id: m.id, error: String(error && error.message || error) }),
      );
    } else if (m.op === "update") {
      let hash = hashes.get(m.file);
      if (hash === undefined) hashes.set(m.file, hash = createHash("sha256"));
      hash.update(new Uint8Array(m.buffer, m.offset, m.length));
      parentPort.postMessage({ id: m.id, buffer: m.buffer }, [m.buffer]);
    } else {
      const hash = hashes.get(m.file) ?? createHash("sha256");
      hashes.delete(m.file);
      parentPort.postMessage({ id: m.id, hex: hash.digest("hex") });
    }
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.message || error) });
  }
});
`;

interface Reply {
  id: number;
  buffer?: ArrayBuffer;
  hex?: string;
  error?: string;
  progress?: number;
}

let shared: Hasher | undefined;

/** The process's hashing worker (a new one if the last failed). */
export function sharedHasher(): Hasher {
  if (shared === undefined || shared.closed) shared = new Hasher();
  return shared;
}

/** A hashing worker; `close` ends it. Files are numbered by `newFile`. */
export class Hasher {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  readonly #progress = new Map<number, (bytes: number) => void>();
  #nextId = 1;
  #nextFile = 1;
  #closed = false;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
    this.#worker.on("message", (reply: Reply) => {
      if (reply.progress !== undefined) return void this.#progress.get(reply.id)?.(reply.progress);
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#progress.delete(reply.id);
      this.#pending.delete(reply.id);
      if (reply.error !== undefined) {
        pending.reject(new PlanckError("internal", `Backup worker: ${reply.error}`));
      } else pending.resolve(reply);
    });
    this.#worker.on("error", (error: Error) => {
      this.#fail(new PlanckError("internal", `The hashing worker failed: ${error.message}`));
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A file number no other user of this worker has. */
  newFile(): number {
    return this.#nextFile++;
  }

  /**
   * Hashes `chunk` as the next bytes of file `file`. With `owned` its buffer is transferred and the
   * promise gives it back (the caller must not touch it meanwhile); else the bytes are copied.
   */
  async update(file: number, chunk: Uint8Array, owned: boolean): Promise<Uint8Array | undefined> {
    const message = owned
      ? { op: "update", file, buffer: chunk.buffer, offset: chunk.byteOffset, length: chunk.length }
      : {
        op: "update",
        file,
        buffer: new Uint8Array(chunk).buffer,
        offset: 0,
        length: chunk.length,
      }; // a copy (a Node Buffer's slice would be a view)
    const reply = await this.#request(message, [message.buffer as ArrayBuffer]);
    return owned && reply.buffer !== undefined ? new Uint8Array(reply.buffer) : undefined;
  }

  /** The SHA-256 (lowercase hex) of everything given for `file`; forgets the file. */
  async digest(file: number): Promise<string> {
    return (await this.#request({ op: "digest", file }, [])).hex!;
  }

  /**
   * Copies the first `length` bytes of file `src` into the existing file `dst` at `dstOffset`, on the
   * worker (its own reads, writes and fdatasync every `syncBytes`, chunks of `chunkBytes`), and
   * returns their SHA-256 (lowercase hex). `onProgress` gets the bytes of each chunk copied.
   * @throws PlanckError `internal` naming `src` when it is shorter than `length` or unreadable
   */
  async copyFile(
    request: {
      src: string;
      length: number;
      dst: string;
      dstOffset: number;
      syncBytes: number;
      chunkBytes: number;
    },
    onProgress?: (bytes: number) => void,
  ): Promise<string> {
    const id = this.#nextId; // the id #request gives this message
    if (onProgress !== undefined) this.#progress.set(id, onProgress);
    try {
      return (await this.#request({ op: "copyFile", ...request, progress: onProgress !== undefined }, []))
        .hex!;
    } catch (error) {
      const reason = (error as Error).message.replace(/^Backup worker: /, "");
      throw new PlanckError("internal", `Backup copy of "${request.src}" failed: ${reason}`, {
        file: request.src,
      });
    } finally {
      this.#progress.delete(id);
    }
  }

  /** Ends the worker; pending requests are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#fail(new PlanckError("internal", "The hashing worker was closed"));
  }

  #request(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#closed) return Promise.reject(new PlanckError("internal", "The hashing worker is closed"));
    const id = this.#nextId++;
    // While a reply is awaited the worker keeps the process alive (else an await on it could be the last).
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id }, transfer);
    }).finally(() => {
      if (this.#pending.size === 0 && !this.#closed) this.#worker.unref();
    });
  }

  #fail(error: Error): void {
    this.#closed = true;
    this.#worker.terminate();
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
