/**
 * `connect()`: a client for a Planck server over the wire protocol. `client.store<T>(name)` is the
 * same typed builder as in-process (builder/), bound to the wire transport; the rest are the
 * protocol's ops (docs/wire-protocol.md) as methods. Imports nothing server-side.
 *
 * Invariants: every method is one request (or one per call of `request`); errors are ClientErrors
 * with the server's stable codes.
 */
import { from, type StoreQuery, type WatchEvent } from "../builder/mod.ts";
import type { Document, QueryDocument } from "../protocol/query_document.ts";
import { parseConnectionString } from "./connection_string.ts";
import { WireTransport, type WireTransportOptions } from "./wire_transport.ts";
import { watchOverWire } from "./watch_stream.ts";

/** A write inside `batch` (one atomic group): keys are 32 hex digits. */
export type ClientWriteOp =
  | { op: "insert"; store: string; doc: Document; key?: string }
  | { op: "put"; store: string; key: string; doc: Document }
  | { op: "replace"; store: string; key: string; doc: Document }
  | { op: "update"; store: string; key: string; set: Document }
  | { op: "delete"; store: string; key: string };

/** What an atomic batch did: the key each op wrote (a delete that found nothing: null) and the commit LSN. */
export interface ClientBatchResult {
  keys: (string | null)[];
  lsn: number;
}

/** A user as the server lists it. */
export interface ClientUser {
  name: string;
  role: "admin" | "read_write" | "read_only" | "replication";
  createdAt: Date;
  keyRotatedAt: Date;
  /** Services whose stores the user may reach (docs/security.md, "Store permissions"). */
  apps: string[];
}

/** Options of `connect`. */
export type ConnectOptions = WireTransportOptions;

/** A connected client. Create with `connect`. */
export class PlanckClient {
  readonly #transport: WireTransport;

  /** @internal Use connect(). */
  constructor(transport: WireTransport) {
    this.#transport = transport;
  }

  /** The role the server granted this client. */
  get role(): string | undefined {
    return this.#transport.role;
  }

  /** The typed query builder for one store, running over this connection. */
  store<T = Document>(name: string): StoreQuery<T> {
    return from<T>(name, this.#transport);
  }

  /** Runs a query document. */
  query(query: QueryDocument): Promise<unknown> {
    return this.#transport.run(query);
  }

  /** Runs one PQL statement. */
  pql(text: string): Promise<unknown> {
    return this.#transport.request("pql", { text });
  }

  /** Runs write ops atomically: all of them (one WAL group, durable on return) or none. */
  async batch(ops: readonly ClientWriteOp[]): Promise<ClientBatchResult> {
    return (await this.#transport.request("transaction", { ops: [...ops] })) as ClientBatchResult;
  }

  /** The document under `key` (with its `key` field), or null. */
  async get<T = Document>(store: string, key: string): Promise<(T & { key: string }) | null> {
    return (await this.#transport.request("get", { store, key })) as (T & { key: string }) | null;
  }

  /** Inserts a document (creating the store if needed); returns its key. */
  async insert(store: string, doc: Document, options: { key?: string } = {}): Promise<string> {
    const fields = options.key === undefined ? { store, doc } : { store, doc, key: options.key };
    return ((await this.#transport.request("insert", fields)) as { key: string }).key;
  }

  /** Inserts or overwrites the document under `key`. */
  async put(store: string, key: string, doc: Document): Promise<string> {
    return ((await this.#transport.request("put", { store, key, doc })) as { key: string }).key;
  }

  /** Deletes the document under `key`; false when there was none. */
  async delete(store: string, key: string): Promise<boolean> {
    return ((await this.#transport.request("delete", { store, key })) as { deleted: boolean }).deleted;
  }

  /** Documents in key order, `from` inclusive, `to` exclusive. */
  async scan<T = Document>(
    store: string,
    options: { from?: string; to?: string; reverse?: boolean; limit?: number } = {},
  ): Promise<(T & { key: string })[]> {
    return (await this.#transport.request("scan", { store, ...options })) as (T & { key: string })[];
  }

  /** Round trip to the server. */
  async ping(): Promise<void> {
    await this.#transport.request("ping");
  }

  /** Database and server counters. */
  async stats(): Promise<Record<string, unknown>> {
    return (await this.#transport.request("stats")) as Record<string, unknown>;
  }

  /** Replication: the server's role, epoch and lag (docs/replication.md). */
  async replicationStatus(): Promise<Record<string, unknown>> {
    return (await this.#transport.request("replicationStatus")) as Record<string, unknown>;
  }

  /** Turns a replica into a primary with a new epoch (admin). */
  async promote(): Promise<{ epoch: number; startLsn: number; primary: string }> {
    return (await this.#transport.request("promote")) as { epoch: number; startLsn: number; primary: string };
  }

  /** User management (admin; `rotate` of one's own key needs no admin). */
  readonly users = {
    create: async (user: string, role: ClientUser["role"]): Promise<string> =>
      ((await this.#transport.request("createUser", { user, role })) as { key: string }).key,
    drop: async (user: string): Promise<void> => void await this.#transport.request("dropUser", { user }),
    setRole: async (user: string, role: ClientUser["role"]): Promise<void> =>
      void await this.#transport.request("setRole", { user, role }),
    /** Grants `user` the stores of service `app`; returns the user's apps. */
    grant: async (user: string, app: string): Promise<string[]> =>
      ((await this.#transport.request("grant", { user, app })) as { apps: string[] }).apps,
    /** Revokes `user`'s access to the stores of service `app`; returns the user's apps. */
    revoke: async (user: string, app: string): Promise<string[]> =>
      ((await this.#transport.request("revoke", { user, app })) as { apps: string[] }).apps,
    rotate: async (user: string): Promise<string> =>
      ((await this.#transport.request("rotateKey", { user })) as { key: string }).key,
    list: async (): Promise<ClientUser[]> => (await this.#transport.request("listUsers")) as ClientUser[],
  };

  /**
   * Watches every store (admin): an async iterator of change events that reconnects and resumes
   * by itself (docs/changes.md). `client.store(name).watch()` and `.filter(...).watch()` watch one
   * store or query. With `snapshot: true` it first yields every document of every store as of one
   * LSN (op "snapshot"), then the changes after it.
   */
  watch(options: { since?: number | "now"; snapshot?: boolean } = {}): AsyncIterableIterator<WatchEvent> {
    return watchOverWire(this.#transport, { all: true, ...options });
  }

  /** Asks the server to stop gracefully (admin). */
  async shutdown(): Promise<void> {
    await this.#transport.request("shutdown");
  }

  /** Sends any op (see docs/wire-protocol.md) and returns its result. */
  request(
    op: string,
    fields: Record<string, unknown> = {},
    options: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    return this.#transport.request(op, fields, options);
  }

  /** Closes the connection. */
  close(): void {
    this.#transport.close();
  }
}

/**
 * Connects to a Planck server and authenticates.
 * @param connection `host:port;uid=<user>;key=<key>[;tls=true][;ca=<pem>][;timeout=<ms>]`
 * @throws ClientError `invalid_argument` (bad string), `unavailable`, `unauthorized`, `locked`
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * const db = await connect("127.0.0.1:23469;uid=admin;key=…");
 * await db.store("orders").insert({ status: "open", amount: 12 });
 * console.log(await db.store("orders").count());
 * db.close();
 * ```
 */
export async function connect(connection: string, options: ConnectOptions = {}): Promise<PlanckClient> {
  const transport = await WireTransport.open(parseConnectionString(connection), options);
  return new PlanckClient(transport);
}
