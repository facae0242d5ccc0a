/**
 * SHA-256 of a backup's files, computed on a worker thread so that hashing (the largest CPU cost
 * of a backup) neither holds up the event loop, where the server's writers run, nor waits for the
 * copy's I/O. Chunks are handed over with their buffer transferred (no copy) when the caller owns
 * it, and the buffer comes back with the reply to be reused; other chunks are copied.
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
const hashes = new Map();
parentPort.on("message", (m) => {
  try {
    if (m.op === "update") {
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
  #nextId = 1;
  #nextFile = 1;
  #closed = false;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
    this.#worker.on("message", (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      if (reply.error !== undefined) {
        pending.reject(new PlanckError("internal", `Hashing failed: ${reply.error}`));
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
