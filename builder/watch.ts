/**
 * The watch spelling of the builder: `from("orders").watch({ since })` for a store (or one key, or
 * a key range), `from("orders").filter(where("status").eq("open")).watch()` for a query. The
 * transport runs it: the engine in this process (client/local_transport.ts) or the wire `watch`
 * op (client/watch_stream.ts). Imports nothing server-side.
 */
import type { Document, Filter } from "../protocol/query_document.ts";

/** Where a watch starts and what it covers besides the query's filter and range. */
export interface WatchRequestOptions {
  /** One key (excludes from/to and the query's range). */
  key?: string;
  /** Keys from (inclusive); overrides the query's range. */
  from?: string;
  /** Keys to (exclusive); overrides the query's range. */
  to?: string;
  /** Events after this LSN (a previous event's `lsn`), or "now" (the default). */
  since?: number | "now";
  /** First the documents as of one LSN (op "snapshot"), then the changes after it. */
  snapshot?: boolean;
}

/** What a transport is asked to watch. */
export interface WatchSpec extends WatchRequestOptions {
  store: string;
  /** A query filter: the watch yields enter/update/leave instead of insert/update/delete. */
  filter?: Filter;
}

/**
 * One change event. Store watches yield insert/update/delete, filter watches enter/update/leave;
 * both yield "snapshot" first when asked. The same shape as the engine's ChangeEvent / FilterEvent.
 */
export interface WatchEvent<T = Document> {
  /** Resume with `since: lsn` to continue right after this event. */
  lsn: number;
  /** The LSN of the commit of the write's group (shared by the events of one transaction). */
  commitLsn: number;
  op: "insert" | "update" | "delete" | "enter" | "leave" | "snapshot";
  store: string;
  /** 32 hex digits. */
  key: string;
  /** The document after the write (absent on delete and leave). */
  doc?: T;
  /** The document before the write, when the server had it (see docs/changes.md). */
  before?: T;
}

/** A transport that can also watch. */
export interface WatchTransport {
  watch(spec: WatchSpec): AsyncIterableIterator<WatchEvent>;
}

/** True when `transport` offers watch. */
export function canWatch(transport: unknown): transport is WatchTransport {
  return typeof (transport as Partial<WatchTransport>)?.watch === "function";
}
