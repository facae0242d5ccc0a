/**
 * One wire connection: reads frames, runs each request, writes each response.
 *
 * Steps per frame: 1. split off the frame (FrameReader, size checked from the prefix); 2. decode
 * BSON and check the envelope; 3. start the op at once, so requests begin in arrival order and a
 * read sees the writes sent before it; 4. write the response when the op settles (responses may
 * overtake each other; the id pairs them up); 5. count the request done once its response is on
 * the socket.
 *
 * Invariants: at most `inFlightMax` requests are in flight (past it the session stops reading:
 * backpressure, not errors); while an `authenticate` runs nothing else starts (nor is more read);
 * until the session has authenticated no frame over PRE_AUTH_FRAME_BYTES is accepted, so an
 * unauthenticated peer pins at most a few read chunks; a malformed or
 * oversized frame gets an error frame with id 0 and closes this connection only; a session whose
 * user was dropped or whose key was rotated ends; nothing an op throws escapes the session.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { AUTH_DEADLINE_MS, AUTH_FAILURES_PER_CONNECTION_MAX, PRE_AUTH_FRAME_BYTES } from "../limits.ts";
import { toWireError } from "./errors.ts";
import { decodeFrame, encodeFrame, FrameReader } from "../../protocol/frame.ts";
import { runOp } from "./ops.ts";
import type { OpContext, Request, SessionState } from "./request.ts";
import { Streams } from "./streams.ts";

/** Limits and hooks of a session. */
export interface SessionOptions {
  frameBytes: number;
  inFlightMax: number;
  /** Called once when the session has closed. */
  onClose(session: Session): void;
  /** Called once when the session first authenticates. */
  onAuthenticated?(session: Session): void;
  /** Called for every request started (server counters). */
  onRequest(): void;
}

interface Outgoing {
  frame: Uint8Array;
  written: () => void;
}

/** A connection being served. */
export class Session {
  readonly state: SessionState;
  readonly #conn: Deno.Conn;
  readonly #ctx: OpContext;
  readonly #options: SessionOptions;
  readonly #reader: FrameReader;
  #inFlight = 0;
  #authenticating = false;
  #authFailures = 0;
  #authenticated = false;
  #usersGeneration: number;
  #draining = false;
  #closed = false;
  #outgoing: Outgoing[] = [];
  #flushing = false;
  #waiters: (() => void)[] = [];

  constructor(conn: Deno.Conn, ctx: OpContext, options: SessionOptions) {
    this.#conn = conn;
    this.#ctx = ctx;
    this.#options = options;
    this.#reader = options.frameBytes < PRE_AUTH_FRAME_BYTES
      ? new FrameReader(options.frameBytes, "frame_bytes")
      : new FrameReader(PRE_AUTH_FRAME_BYTES, "PRE_AUTH_FRAME_BYTES");
    this.#usersGeneration = ctx.users.generation;
    const addr = conn.remoteAddr as Deno.NetAddr;
    const streams = new Streams({ send: (frame) => void this.#send(frame), frameBytes: options.frameBytes });
    this.state = { user: null, remote: addr.hostname ?? "unknown", streams, frameBytes: options.frameBytes };
  }

  /** Serves the connection until it closes. Never throws. */
  async serve(): Promise<void> {
    const deadline = setTimeout(() => {
      if (this.state.user === null) this.#fatal(new PlanckError("unauthorized", "Authentication timed out"));
    }, AUTH_DEADLINE_MS);
    try {
      while (!this.#closed) {
        if (!this.#dispatchBuffered()) break;
        if (this.#blocked()) {
          await this.#unblocked(); // buffered frames may wait: dispatch them before reading more
          continue;
        }
        let count: number | null;
        try {
          count = await this.#conn.read(this.#reader.writable());
        } catch {
          break; // reset by peer, or closed by us
        }
        if (count === null) {
          await this.#idle(); // the client half-closed: finish what it sent
          break;
        }
        this.#reader.commit(count);
      }
    } finally {
      clearTimeout(deadline);
      this.close();
    }
  }

  /** Stops starting new requests, waits for in-flight ones and their responses, then closes. */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.#idle();
    this.close();
  }

  /** Closes the connection now (in-flight responses are dropped). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.state.streams?.closeAll();
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#wake();
    this.#options.onClose(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts every buffered frame the limits allow; false when the connection must end. */
  #dispatchBuffered(): boolean {
    while (!this.#closed && !this.#blocked()) {
      let body: Uint8Array | null;
      try {
        body = this.#reader.next();
      } catch (error) {
        this.#fatal(error);
        return false;
      }
      if (body === null) return true;
      this.#dispatch(body);
    }
    return !this.#closed;
  }

  #dispatch(body: Uint8Array): void {
    let doc: Record<string, unknown>;
    try {
      doc = decodeFrame(body);
    } catch (error) {
      return this.#fatal(error);
    }
    const id = doc.id;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > 0x7fffffff) {
      return this.#fatal(
        new PlanckError(
          "invalid_argument",
          'Malformed request: "id" must be an integer from 1 to 2147483647',
          {
            field: "id",
          },
        ),
      );
    }
    this.#inFlight++;
    this.#options.onRequest();
    const request = doc as Request;
    if (request.op === "authenticate") this.#authenticating = true;
    this.#run(request).then((frame) => {
      const written = this.#send(frame);
      this.state.streams?.started(request.id); // a stream's events follow its first response
      return written;
    }).finally(() => {
      if (request.op === "authenticate") this.#authenticating = false;
      this.#inFlight--;
      this.#wake();
    });
  }

  /** Runs one request and returns its response frame. Never rejects. */
  async #run(request: Request): Promise<Uint8Array> {
    let response: Record<string, unknown>;
    try {
      if (typeof request.op !== "string") {
        throw new PlanckError("invalid_argument", 'Malformed request: "op" must be a string', {
          field: "op",
        });
      }
      if (this.#draining) throw new PlanckError("unavailable", "The server is shutting down");
      this.#refreshUser();
      const result = await runOp({ ctx: this.#ctx, session: this.state, request });
      if (this.state.user !== null && !this.#authenticated) {
        this.#authenticated = true;
        this.#reader.setLimit(this.#options.frameBytes, "frame_bytes");
        this.#options.onAuthenticated?.(this);
      }
      response = this.state.streams?.opening(request.id)
        ? { id: request.id, ok: true, more: true, result: result ?? null } // a stream: more responses follow
        : { id: request.id, ok: true, result: result ?? null };
    } catch (error) {
      response = { id: request.id, ok: false, error: toWireError(error) };
      this.#countAuthFailure((response.error as { code: string }).code);
    }
    try {
      return encodeFrame(response, this.#options.frameBytes);
    } catch (error) {
      return encodeFrame({ id: request.id, ok: false, error: toWireError(error) }, this.#options.frameBytes);
    }
  }

  /** Re-reads the session's user after any user change; ends the session if it was dropped or re-keyed. */
  #refreshUser(): void {
    const users = this.#ctx.users;
    if (this.state.user === null || users.generation === this.#usersGeneration) return;
    this.#usersGeneration = users.generation;
    const current = users.get(this.state.user.name);
    if (current === undefined || current.keyRotatedAt.getTime() !== this.state.user.keyRotatedAt.getTime()) {
      this.state.user = null;
      this.#authFailures = AUTH_FAILURES_PER_CONNECTION_MAX; // close after this response
      throw new PlanckError("unauthorized", "Session ended: the user was dropped or its key was rotated");
    }
    this.state.user = current;
  }

  #countAuthFailure(code: string): void {
    const failed = code === "unauthorized" || code === "locked";
    if (!failed || this.state.user !== null) return;
    this.#authFailures++;
    if (this.#authFailures >= AUTH_FAILURES_PER_CONNECTION_MAX) {
      void this.#idle().then(() => this.close());
      this.#draining = true;
    }
  }

  /** Sends an error frame with id 0 and closes the connection. */
  #fatal(error: unknown): void {
    if (this.#closed) return;
    this.#draining = true;
    let frame: Uint8Array | undefined;
    try {
      frame = encodeFrame({ id: 0, ok: false, error: toWireError(error) }, this.#options.frameBytes);
    } catch {
      frame = undefined;
    }
    if (frame === undefined) return this.close();
    void this.#send(frame).then(() => this.close());
  }

  /** Queues a frame; resolves once it is written (or dropped because the connection closed). */
  #send(frame: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((written) => {
      this.#outgoing.push({ frame, written });
      if (!this.#flushing) void this.#flush();
    });
  }

  /** Writes queued frames, coalescing those that queued up during the previous write. */
  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#outgoing.length > 0 && !this.#closed) {
        const batch = this.#outgoing;
        this.#outgoing = [];
        try {
          await writeAll(this.#conn, concat(batch.map((item) => item.frame)));
        } catch {
          this.close();
        }
        for (const item of batch) item.written();
      }
    } finally {
      for (const item of this.#outgoing) item.written();
      if (this.#closed) this.#outgoing = [];
      this.#flushing = false;
      this.#wake();
    }
  }

  /** Resolves when nothing is in flight and nothing is waiting to be written (or on close). */
  async #idle(): Promise<void> {
    while (!this.#closed && (this.#inFlight > 0 || this.#flushing || this.#outgoing.length > 0)) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** True while no new request may start: an authenticate is running or every slot is taken. */
  #blocked(): boolean {
    return this.#authenticating || this.#inFlight >= this.#options.inFlightMax;
  }

  /** Resolves when a request may start again (or on close). */
  async #unblocked(): Promise<void> {
    while (!this.#closed && this.#blocked()) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

function concat(frames: Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0];
  let total = 0;
  for (const frame of frames) total += frame.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}
