/**
 * The wire server: a TCP (or TLS) listener that hands each connection to a Session.
 *
 * Invariants: at most `connections` sessions are open, and at most `unauthenticatedPerAddress` of
 * them from one remote address have not authenticated yet (past either, the next connection gets
 * one `limit_exceeded` frame with id 0 and is closed); `stop` first stops accepting, then drains every
 * session (in-flight requests finish and are answered, up to the drain timeout), then closes them.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { toWireError } from "./errors.ts";
import { encodeFrame } from "../../protocol/frame.ts";
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
  /** Most connections from one remote address that have not authenticated yet. */
  unauthenticatedPerAddress: number;
}

/** Counters of a wire server. */
export interface WireStats {
  connections: number;
  connectionsAccepted: number;
  connectionsRefused: number;
  requests: number;
  /** Connections open that have not authenticated yet. */
  unauthenticated: number;
}

/** A listening wire server. */
export class WireServer {
  readonly #listener: Deno.Listener;
  readonly #ctx: OpContext;
  readonly #options: WireServerOptions;
  readonly #sessions = new Set<Session>();
  readonly #serving = new Set<Promise<void>>();
  readonly #stats: WireStats = {
    connections: 0,
    connectionsAccepted: 0,
    connectionsRefused: 0,
    requests: 0,
    unauthenticated: 0,
  };
  /** Sessions not authenticated yet, with their remote address; and their count per address. */
  readonly #pending = new Map<Session, string>();
  readonly #pendingPerAddress = new Map<string, number>();
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
    return { ...this.#stats, connections: this.#sessions.size, unauthenticated: this.#pending.size };
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
      void refuse(
        conn,
        `Too many connections (the limit connections is ${this.#options.connections})`,
        "connections",
      );
      return;
    }
    const address = (conn.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    const pending = this.#pendingPerAddress.get(address) ?? 0;
    if (pending >= this.#options.unauthenticatedPerAddress) {
      this.#stats.connectionsRefused++;
      void refuse(
        conn,
        `Too many unauthenticated connections from ${address} (the limit unauthenticated_per_address is ${this.#options.unauthenticatedPerAddress})`,
        "unauthenticated_per_address",
      );
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
      onClose: (closed) => {
        this.#sessions.delete(closed);
        this.#authenticated(closed);
      },
      onAuthenticated: (authenticated) => this.#authenticated(authenticated),
      onRequest: () => this.#stats.requests++,
    });
    this.#sessions.add(session);
    if (!session.closed) {
      this.#pending.set(session, address);
      this.#pendingPerAddress.set(address, pending + 1);
    }
    const serving = session.serve();
    this.#serving.add(serving);
    void serving.finally(() => this.#serving.delete(serving));
  }

  /** Stops counting `session` as unauthenticated (it authenticated or closed). */
  #authenticated(session: Session): void {
    const address = this.#pending.get(session);
    if (address === undefined) return;
    this.#pending.delete(session);
    const left = (this.#pendingPerAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#pendingPerAddress.set(address, left);
    else this.#pendingPerAddress.delete(address);
  }
}

async function refuse(conn: Deno.Conn, message: string, limit: string): Promise<void> {
  const error = new PlanckError("limit_exceeded", message, { limit });
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
