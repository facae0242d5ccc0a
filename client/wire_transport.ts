/**
 * The TCP (or TLS) transport: one connection to a Planck server, authenticated, with pipelined
 * requests matched to responses by id, per-request timeouts and reconnection with backoff.
 * Imports nothing server-side.
 *
 * Invariants: every request settles exactly once (response, timeout, connection loss or close);
 * a request in flight when the connection drops fails with `unavailable` and is never resent (it
 * may or may not have been applied); a new request after a drop reconnects (and re-authenticates)
 * with exponential backoff until `connectTimeoutMs` passes; an authentication failure is never
 * retried.
 */
import type { WatchEvent, WatchSpec } from "../builder/watch.ts";
import type { QueryDocument } from "../protocol/query_document.ts";
import { watchOverWire } from "./watch_stream.ts";
import type { ConnectionInfo } from "./connection_string.ts";
import { ClientError, fromWireError, toClientError } from "./errors.ts";
import { hintFor, WrongPortError } from "./wrong_port.ts";
import { decodeFrame, encodeFrame, FrameReader } from "../protocol/frame.ts";

/** Options of a wire transport. */
export interface WireTransportOptions {
  /** Per-request timeout in ms (default 30 s; the connection string's `timeout` wins). */
  timeoutMs?: number;
  /** How long connecting (or reconnecting, with backoff) may take in ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect after a lost connection (default true). */
  reconnect?: boolean;
  /** Largest frame sent or accepted, in bytes (default 256 MiB). */
  frameBytes?: number;
}

const TIMEOUT_MS_DEFAULT = 30_000;
const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
const FRAME_BYTES_DEFAULT = 256 * 1024 * 1024;
const BACKOFF_MS_FIRST = 25;
const BACKOFF_MS_MAX = 1_000;
const REQUEST_ID_MAX = 0x7fffffff;
/** The wire protocol version this client speaks. */
const PROTOCOL_VERSION = 1;

interface Pending {
  resolve(value: unknown): void;
  reject(error: ClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Receives the frames of one open stream (docs/wire-protocol.md, "Streaming"). */
export interface StreamHandler {
  /** A frame after the first response: `more` (an event), `done`, or an error. */
  frame(doc: Record<string, unknown>): void;
  /** The connection was lost: no more frames will come. */
  lost(error: ClientError): void;
}

interface Link {
  conn: Deno.Conn;
  outgoing: Uint8Array[];
  flushing: boolean;
  closed: boolean;
}

/** A connection to a Planck server that runs requests. */
export class WireTransport {
  readonly #info: ConnectionInfo;
  readonly #timeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #reconnect: boolean;
  /** Whether a link was ever up: a refused first connect fails at once (nothing to wait for). */
  #connectedOnce = false;
  readonly #frameBytes: number;
  readonly #pending = new Map<number, Pending>();
  readonly #streams = new Map<number, { link: Link; handler: StreamHandler }>();
  #link: Link | null = null;
  #connecting: Promise<Link> | null = null;
  #nextId = 1;
  #closed = false;
  #role: string | undefined;
  /** The server's frame limit, learned at authentication: larger requests are refused here. */
  #serverFrameBytes = Infinity;

  private constructor(info: ConnectionInfo, options: WireTransportOptions) {
    this.#info = info;
    this.#timeoutMs = info.timeoutMs ?? options.timeoutMs ?? TIMEOUT_MS_DEFAULT;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT;
    this.#reconnect = options.reconnect ?? true;
    this.#frameBytes = options.frameBytes ?? FRAME_BYTES_DEFAULT;
  }

  /** Connects and authenticates. @throws ClientError (`unauthorized`, `locked`, `unavailable`, …) */
  static async open(info: ConnectionInfo, options: WireTransportOptions = {}): Promise<WireTransport> {
    const transport = new WireTransport(info, options);
    await transport.#ensureLink();
    return transport;
  }

  /** The role the server granted. */
  get role(): string | undefined {
    return this.#role;
  }

  /** Runs a query document (the builder's Transport interface). */
  run(query: QueryDocument): Promise<unknown> {
    return this.request("query", { query });
  }

  /** Runs a builder watch (`store.watch()`, `store.filter(...).watch()`) over the `watch` op (watch_stream.ts). */
  watch(spec: WatchSpec): AsyncIterableIterator<WatchEvent> {
    return watchOverWire(this, spec);
  }

  /** Sends one op and resolves with its result. @throws ClientError */
  async request(
    op: string,
    fields: Record<string, unknown> = {},
    options: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    if (this.#closed) throw new ClientError("unavailable", "The client is closed");
    const link = this.#link !== null && !this.#link.closed ? this.#link : await this.#ensureLink();
    return await this.#send(link, op, fields, options.timeoutMs ?? this.#timeoutMs);
  }

  /**
   * Sends a streaming op: resolves with its id and first result; the frames after it go to
   * `handler` until one with `done` or an error, or until the connection is lost.
   * @throws ClientError (the op's error, `unavailable`)
   */
  async openStream(
    op: string,
    fields: Record<string, unknown>,
    handler: StreamHandler,
  ): Promise<{ id: number; result: unknown }> {
    if (this.#closed) throw new ClientError("unavailable", "The client is closed");
    const link = this.#link !== null && !this.#link.closed ? this.#link : await this.#ensureLink();
    let id = 0;
    const result = await this.#send(link, op, fields, this.#timeoutMs, (chosen) => {
      id = chosen;
      this.#streams.set(chosen, { link, handler });
    });
    return { id, result };
  }

  /** Closes the connection; requests in flight fail with `unavailable`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#link !== null) this.#drop(this.#link, new ClientError("unavailable", "The client was closed"));
  }

  #send(
    link: Link,
    op: string,
    fields: Record<string, unknown>,
    timeoutMs: number,
    onId?: (id: number) => void,
  ): Promise<unknown> {
    let id = this.#nextId;
    while (this.#streams.has(id) || this.#pending.has(id)) id = id >= REQUEST_ID_MAX ? 1 : id + 1;
    this.#nextId = id >= REQUEST_ID_MAX ? 1 : id + 1;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(
        { ...fields, id, op },
        Math.min(this.#frameBytes, this.#serverFrameBytes),
        "request",
      );
    } catch (error) {
      return Promise.reject(toClientError(error, "Cannot encode the request"));
    }
    onId?.(id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.#streams.delete(id);
        reject(new ClientError("timeout", `Request "${op}" timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      link.outgoing.push(frame);
      if (!link.flushing) void this.#flush(link);
    });
  }

  async #flush(link: Link): Promise<void> {
    link.flushing = true;
    try {
      while (link.outgoing.length > 0 && !link.closed) {
        const frames = link.outgoing;
        link.outgoing = [];
        const bytes = frames.length === 1 ? frames[0] : concat(frames);
        let offset = 0;
        while (offset < bytes.length) offset += await link.conn.write(bytes.subarray(offset));
      }
    } catch (error) {
      this.#drop(link, new ClientError("unavailable", `Connection lost: ${(error as Error).message}`));
    } finally {
      link.flushing = false;
    }
  }

  /** Returns a live, authenticated link, connecting with backoff if needed. */
  #ensureLink(): Promise<Link> {
    this.#connecting ??= this.#connectWithBackoff().finally(() => this.#connecting = null);
    return this.#connecting;
  }

  async #connectWithBackoff(): Promise<Link> {
    const deadline = Date.now() + this.#connectTimeoutMs;
    let delayMs = BACKOFF_MS_FIRST;
    while (true) {
      try {
        return await this.#connectOnce();
      } catch (error) {
        const retryable = error instanceof ClientError && error.code === "unavailable" &&
          !(error instanceof WrongPortError) &&
          !(!this.#connectedOnce && error.cause instanceof Deno.errors.ConnectionRefused);
        if (!retryable || !this.#reconnect || this.#closed || Date.now() + delayMs > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(BACKOFF_MS_MAX, delayMs * 2);
    }
  }

  async #connectOnce(): Promise<Link> {
    const { hostname, port } = this.#info;
    let conn: Deno.Conn;
    try {
      conn = this.#info.tls
        ? await Deno.connectTls({ hostname, port, caCerts: await this.#caCerts() })
        : await Deno.connect({ hostname, port });
    } catch (error) {
      const hint = error instanceof Deno.errors.ConnectionRefused
        ? ` — nothing listens there: is Planck running ("planck start" prints "wire listening on …"; the wire port is 23469 unless configured)?`
        : "";
      throw new ClientError(
        "unavailable",
        `Cannot connect to ${hostname}:${port}: ${(error as Error).message}${hint}`,
        {},
        {
          cause: error,
        },
      );
    }
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const link: Link = { conn, outgoing: [], flushing: false, closed: false };
    void this.#readLoop(link);
    try {
      const result = await this.#send(link, "authenticate", {
        user: this.#info.user,
        key: this.#info.key,
        protocol: PROTOCOL_VERSION,
      }, this.#connectTimeoutMs);
      const { role, frameBytes } = result as { role?: string; frameBytes?: unknown };
      this.#role = role;
      if (typeof frameBytes === "number" && Number.isInteger(frameBytes) && frameBytes > 0) {
        this.#serverFrameBytes = frameBytes;
      }
    } catch (error) {
      this.#drop(link, error as ClientError);
      throw error;
    }
    if (this.#closed) {
      this.#drop(link, new ClientError("unavailable", "The client was closed"));
      throw new ClientError("unavailable", "The client was closed");
    }
    this.#link = link;
    this.#connectedOnce = true;
    return link;
  }

  async #caCerts(): Promise<string[] | undefined> {
    if (this.#info.caFile === undefined) return undefined;
    return [await Deno.readTextFile(this.#info.caFile)];
  }

  async #readLoop(link: Link): Promise<void> {
    const reader = new FrameReader(this.#frameBytes);
    let failure = new ClientError("unavailable", "Connection closed by the server");
    try {
      while (!link.closed) {
        const count = await link.conn.read(reader.writable());
        if (count === null) break;
        reader.commit(count);
        for (let body = this.#nextBody(reader); body !== null; body = this.#nextBody(reader)) {
          const doc = decodeFrame(body);
          if (doc.id === 0) failure = fromWireError(doc.error); // connection-level: the server closes next
          else this.#settle(doc);
        }
      }
    } catch (error) {
      failure = toClientError(error, "Connection lost");
    }
    const head = reader.head();
    const hint = failure instanceof WrongPortError || head.length < 2 ? "" : hintFor(head);
    if (hint !== "") failure = new WrongPortError(`${failure.message}${hint}`);
    this.#drop(link, failure);
  }

  /** The next frame body; a prefix that is no frame of ours names the likely wrong port. */
  #nextBody(reader: FrameReader): Uint8Array | null {
    try {
      return reader.next();
    } catch (error) {
      const hint = hintFor(reader.head());
      if (hint !== "") throw new WrongPortError(`The server did not answer with the wire protocol${hint}`);
      throw error;
    }
  }

  #settle(doc: Record<string, unknown>): void {
    const id = doc.id as number;
    const pending = this.#pending.get(id);
    const stream = this.#streams.get(id);
    if (pending === undefined) {
      if (stream === undefined) return; // timed out earlier
      if (doc.ok !== true || doc.done === true) this.#streams.delete(id);
      return stream.handler.frame(doc);
    }
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (doc.ok === true) pending.resolve(doc.result);
    else {
      this.#streams.delete(id);
      pending.reject(fromWireError(doc.error));
    }
  }

  /** Closes a link and fails every request still pending on it. */
  #drop(link: Link, error: ClientError): void {
    if (link.closed) return;
    link.closed = true;
    if (this.#link === link) this.#link = null;
    try {
      link.conn.close();
    } catch {
      // already closed
    }
    const lost = error.code === "unavailable" && this.#pending.size > 0 && !(error instanceof WrongPortError)
      ? new ClientError(
        "unavailable",
        `${error.message}; requests in flight may or may not have been applied`,
      )
      : error;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(lost);
    }
    for (const [id, stream] of this.#streams) {
      if (stream.link !== link) continue;
      this.#streams.delete(id);
      stream.handler.lost(error);
    }
  }
}

function concat(frames: Uint8Array[]): Uint8Array {
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
