/**
 * The wire server: a TCP (or TLS) listener that hands each connection to a Session.
 *
 * Invariants: at most `connections` sessions are open (the next connection gets one
 * `limit_exceeded` frame with id 0 and is closed); `stop` first stops accepting, then drains every
 * session (in-flight requests finish and are answered, up to the drain timeout), then closes them.
 */
import { PlanckError } from "../../engine/errors.ts";
import { toWireError } from "./errors.ts";
import { encodeFrame } from "./frame.ts";
import type { OpContext } from "./request.ts";
import { Session } from "./session.ts";

/** Options of `WireServer.listen`. */
export interface WireServerOptions {
  hostname: string;
  port: number;
  /** PEM certificate chain and key: serve TLS instead of plain TCP. */
  tls?: { cert: string; key: string };
  frameBytes: number;
  connections: number;
  inFlightPerConnection: number;
}

/** Counters of a wire server. */
export interface WireStats {
  connections: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  requests: number;
}

/** A listening wire server. */
export class WireServer {
  readonly #listener: Deno.Listener;
  readonly #ctx: OpContext;
  readonly #options: WireServerOptions;
  readonly #sessions = new Set<Session>();
  readonly #serving = new Set<Promise<void>>();
  readonly #stats: WireStats = { connections: 0, connectionsAccepted: 0, connectionsRefused: 0, requests: 0 };
  readonly #accepting: Promise<void>;
  #stopped = false;

  private constructor(listener: Deno.Listener, ctx: OpContext, options: WireServerOptions) {
    this.#listener = listener;
    this.#ctx = ctx;
    this.#options = options;
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Listens and starts accepting.
   * @throws PlanckError `unavailable` when the address cannot be bound
   */
  static listen(ctx: OpContext, options: WireServerOptions): WireServer {
    let listener: Deno.Listener;
    try {
      listener = options.tls === undefined
        ? Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" })
        : Deno.listenTls({
          hostname: options.hostname,
          port: options.port,
          cert: options.tls.cert,
          key: options.tls.key,
        });
    } catch (error) {
      throw new PlanckError(
        "unavailable",
        `Cannot listen on ${options.hostname}:${options.port} (wire): ${(error as Error).message}`,
        { field: "ports.wire" },
        { cause: error },
      );
    }
    return new WireServer(listener, ctx, options);
  }

  /** The bound port (the chosen one when 0 was asked for). */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** The bound address. */
  get hostname(): string {
    return (this.#listener.addr as Deno.NetAddr).hostname;
  }

  /** Counters. */
  stats(): WireStats {
    return { ...this.#stats, connections: this.#sessions.size };
  }

  /** Stops accepting, drains sessions for up to `drainTimeoutMs`, then closes them all. */
  async stop(drainTimeoutMs: number): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      try {
        this.#listener.close();
      } catch {
        // already closed
      }
    }
    await this.#accepting;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, drainTimeoutMs));
    await Promise.race([Promise.all([...this.#sessions].map((session) => session.drain())), timeout]);
    clearTimeout(timer);
    for (const session of this.#sessions) session.close();
    await Promise.all(this.#serving);
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#stopped) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#stopped) return;
        console.error("planck: wire accept failed:", (error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 10)); // e.g. out of file descriptors: back off
        continue;
      }
      if (this.#stopped) {
        conn.close();
        return;
      }
      this.#accept(conn);
    }
  }

  #accept(conn: Deno.Conn): void {
    if (this.#sessions.size >= this.#options.connections) {
      this.#stats.connectionsRefused++;
      void refuse(conn, this.#options.connections);
      return;
    }
    this.#stats.connectionsAccepted++;
    if ("setNoDelay" in conn) {
      (conn as Deno.TcpConn).setNoDelay(true);
      (conn as Deno.TcpConn).setKeepAlive(true);
    }
    const session = new Session(conn, this.#ctx, {
      frameBytes: this.#options.frameBytes,
      inFlightMax: this.#options.inFlightPerConnection,
      onClose: (closed) => this.#sessions.delete(closed),
      onRequest: () => this.#stats.requests++,
    });
    this.#sessions.add(session);
    const serving = session.serve();
    this.#serving.add(serving);
    void serving.finally(() => this.#serving.delete(serving));
  }
}

async function refuse(conn: Deno.Conn, limit: number): Promise<void> {
  const error = new PlanckError(
    "limit_exceeded",
    `Too many connections (the limit connections is ${limit})`,
    {
      limit: "connections",
    },
  );
  try {
    const frame = encodeFrame({ id: 0, ok: false, error: toWireError(error) }, 1024 * 1024);
    let offset = 0;
    while (offset < frame.length) offset += await conn.write(frame.subarray(offset));
  } catch {
    // the client went away first
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}
