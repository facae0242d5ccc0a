/**
 * Every bound the host enforces, with its unit and reason. The `_DEFAULT` ones may be changed by
 * the config file (host/config.ts checks the new value against the `_MIN`/`_MAX` next to it); the
 * others are fixed. Relations between limits are checked at module load.
 */
import { assert } from "../engine/assert.ts";
import { DOC_BYTES_MAX, GROUP_OPS_MAX, SCAN_ROWS_MAX } from "../engine/limits.ts";
import { PQL_SCRIPT_BYTES_MAX } from "../engine/pql/limits.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Default wire port (docs/wire-protocol.md). */
export const WIRE_PORT_DEFAULT = 23469;
/** Default app HTTP port. */
export const HTTP_PORT_DEFAULT = 3000;
/** Default workbench port. */
export const WORKBENCH_PORT_DEFAULT = 2369;
/** Default bind address: loopback only, so a fresh install is never reachable from the network. */
export const BIND_DEFAULT = "127.0.0.1";

/** Largest wire frame (the BSON document after the length prefix), in bytes: a maximal document plus envelope. */
export const FRAME_BYTES_DEFAULT = 32 * MiB;
/** Smallest configurable frame limit: big enough for any control op. */
export const FRAME_BYTES_MIN = 4 * KiB;
/** Largest configurable frame limit: bounds the memory one request may pin. */
export const FRAME_BYTES_MAX = 256 * MiB;

/** Default cap on open wire connections; the next one gets a `limit_exceeded` frame and is closed. */
export const CONNECTIONS_DEFAULT = 1024;
/** Largest configurable connection cap (each connection holds buffers and a file descriptor). */
export const CONNECTIONS_MAX = 100_000;

/**
 * Largest frame a connection may send before it has authenticated, in bytes: the `authenticate`
 * op is a few hundred bytes, so an unauthenticated peer can never make the server buffer a large
 * frame (a larger prefix closes the connection before any of its body is read).
 */
export const PRE_AUTH_FRAME_BYTES = 64 * KiB;
/**
 * Default cap on connections from one remote address that have not authenticated yet; the next
 * one gets a `limit_exceeded` frame and is closed. Authenticated connections do not count.
 */
export const UNAUTHENTICATED_PER_ADDRESS_DEFAULT = 256;

/** Default cap on requests being processed per connection; past it the server stops reading (backpressure). */
export const IN_FLIGHT_PER_CONNECTION_DEFAULT = 128;
/** Largest configurable in-flight cap per connection. */
export const IN_FLIGHT_PER_CONNECTION_MAX = 10_000;

/** Requests in one `batch` op (each runs as if sent alone). */
export const BATCH_REQUESTS_MAX = 10_000;
/** Write ops in one `transaction` op: one WAL group holds at most this many. */
export const TRANSACTION_OPS_MAX = GROUP_OPS_MAX;
/** Default rows of a `scan` when the request sets no limit (the most is the engine's SCAN_ROWS_MAX). */
export const SCAN_ROWS_DEFAULT = 1_000;

/** Watch subscriptions open at once on one connection (each holds a buffer); the next is `limit_exceeded`. */
export const WATCH_SUBSCRIPTIONS_PER_CONNECTION_MAX = 256;
/**
 * Change events one watch subscription buffers for a client that has no credit left; one more
 * ends the subscription with `slow_consumer` (the LSN to resume from). Snapshot events never
 * overflow: they are read only as the buffer drains.
 */
export const WATCH_BUFFER_EVENTS_MAX = 4_096;
/** Bytes of encoded events one watch subscription buffers (a single larger event is still taken). */
export const WATCH_BUFFER_BYTES_MAX = 16 * MiB;
/** Credit (events the server may send before the client grants more) when a `watch` request sets none. */
export const WATCH_CREDIT_DEFAULT = 256;
/** Most credit a subscription may hold: bounds the events in flight on the socket. */
export const WATCH_CREDIT_MAX = 65_536;
/** Keys of `matching` in a `watch` request (a filter watch resumed from an LSN). */
export const WATCH_MATCHING_KEYS_MAX = 100_000;

/** Time a new connection has to authenticate before it is closed, in milliseconds. */
export const AUTH_DEADLINE_MS = 10_000;
/** Failed authentications on one connection before the server closes it. */
export const AUTH_FAILURES_PER_CONNECTION_MAX = 3;
/** Failed logins (per user name and remote address pair) before lockouts start. */
export const LOCKOUT_FAILURES_DEFAULT = 5;
/** First lockout, in milliseconds; each further failure doubles it. */
export const LOCKOUT_BASE_MS_DEFAULT = 1_000;
/** Longest lockout, in milliseconds. */
export const LOCKOUT_MAX_MS_DEFAULT = 15 * 60_000;
/** Lockout entries tracked ((user, address) pairs); the oldest are evicted past it. */
export const LOCKOUT_ENTRIES_MAX = 100_000;

/** Longest request URL the app port answers (scheme, host, path and query); a longer one gets 414. */
export const HTTP_URL_BYTES_MAX = 8 * 1024;
/** Bytes of request headers (names plus values) the app port takes; more get 431. */
export const HTTP_HEADER_BYTES_MAX = 32 * 1024;
/** Request headers the app port takes; more get 431. */
export const HTTP_HEADERS_MAX = 100;
/** Default of `limits.http_body_timeout_ms`: how long a request body may take to arrive (408 after). */
export const HTTP_BODY_TIMEOUT_MS_DEFAULT = 30_000;
/** Largest `limits.http_body_timeout_ms`. */
export const HTTP_BODY_TIMEOUT_MS_MAX = 3_600_000;

/** Users in the `sysusers` store. */
export const USERS_MAX = 10_000;
/** Longest user name, in characters. */
export const USER_NAME_LENGTH_MAX = 64;
/** Apps (services) granted to one user (docs/security.md, "Store permissions"). */
export const USER_APPS_MAX = 256;

/** How long shutdown waits for in-flight requests before closing connections, in milliseconds. */
export const DRAIN_TIMEOUT_MS_DEFAULT = 5_000;
/** Longest configurable drain. */
export const DRAIN_TIMEOUT_MS_MAX = 10 * 60_000;

/** Longest config file read, in bytes. */
export const CONFIG_FILE_BYTES_MAX = 1 * MiB;

assert(FRAME_BYTES_DEFAULT > DOC_BYTES_MAX, "a default frame carries a maximal document");
assert(PRE_AUTH_FRAME_BYTES > FRAME_BYTES_MIN, "an authenticate op fits before authentication as after");
assert(UNAUTHENTICATED_PER_ADDRESS_DEFAULT <= CONNECTIONS_DEFAULT, "the per-address cap is within the total");
assert(FRAME_BYTES_MIN < FRAME_BYTES_DEFAULT, "the frame minimum is below the default");
assert(FRAME_BYTES_DEFAULT <= FRAME_BYTES_MAX, "the frame default is within the maximum");
assert(SCAN_ROWS_DEFAULT <= SCAN_ROWS_MAX, "the scan default is within the maximum");
assert(LOCKOUT_BASE_MS_DEFAULT <= LOCKOUT_MAX_MS_DEFAULT, "the first lockout is within the longest");

/** Config bounds of `wal_segment_bytes` (the engine's minimum up to 1 GiB). */
export const WAL_SEGMENT_BYTES_CONFIG_MAX = 1024 * MiB;
/** Config bounds of `memtable_bytes`: small tables flush constantly, huge ones make recovery slow. */
export const MEMTABLE_BYTES_CONFIG_MIN = 64 * KiB;
export const MEMTABLE_BYTES_CONFIG_MAX = 4096 * MiB;

assert(
  FRAME_BYTES_DEFAULT > PQL_SCRIPT_BYTES_MAX,
  "a default frame carries a maximal PQL script (and so statement)",
);

/** Log entries the in-memory ring keeps (the workbench's logs screen reads them); older ones are in the log file. */
export const LOG_RING_ENTRIES_MAX = 10_000;
/** Longest logged message, in characters (longer ones are cut with "…"). */
export const LOG_MESSAGE_CHARS_MAX = 4_000;
/** Size of `<data>/planck.log` past which it is rotated to `planck.log.1`, in bytes. */
export const LOG_FILE_BYTES_MAX = 64 * MiB;
/** Bytes of WAL frames one `replicate` response carries at most (one larger group still goes alone). */
export const REPLICATE_BYTES_DEFAULT = 4 * MiB;
/** Largest `maxBytes` a replica may ask for in one `replicate` request. */
export const REPLICATE_BYTES_MAX = 16 * MiB;
/** How long a `replicate` request waits for a new group before it returns an empty run (a heartbeat). */
export const REPLICATE_WAIT_MS_DEFAULT = 1_000;
/** Longest wait a replica may ask for. */
export const REPLICATE_WAIT_MS_MAX = 30_000;
/** Longest pause between a replica's attempts to reach its primary (backoff doubles up to it). */
export const REPLICA_RETRY_MS_MAX = 500;
/** Most replicas a primary lists (older entries are forgotten first). */
export const REPLICAS_LISTED_MAX = 64;

/**
 * Blocks waiting to be written to one SSE subscriber: a live stream above it for longer than
 * SSE_SLOW_CONSUMER_MS, or above 4× it at any moment, is ended (slow consumer).
 */
export const SSE_QUEUE_EVENTS_MAX = 1_024;
/** How long a live SSE stream may stay above SSE_QUEUE_EVENTS_MAX before it is ended, in milliseconds. */
export const SSE_SLOW_CONSUMER_MS = 2_000;
/** Interval of SSE heartbeats (a comment line, plus the current `id:` for live subscribers), in milliseconds. */
export const SSE_HEARTBEAT_MS = 15_000;
/** Reconnect delay an SSE stream asks EventSource for (`retry:`), in milliseconds. */
export const SSE_RETRY_MS = 1_000;
/** Open SSE streams at most on the app port; the next one gets 503. */
export const SSE_SUBSCRIBERS_MAX = 20_000;
/** `topic` parameters on one SSE connection. */
export const SSE_TOPICS_PER_CONNECTION_MAX = 16;
/** Rendered events each live topic keeps for subscribers that reconnect (older ones are re-read from the WAL). */
export const SSE_TOPIC_RING_EVENTS_MAX = 512;
/** First retry delay of a failed subscription handler, in milliseconds (doubled per failure). */
export const SUBSCRIPTION_RETRY_MS_MIN = 100;
/** Longest retry delay of a failed subscription handler, in milliseconds. */
export const SUBSCRIPTION_RETRY_MS_MAX = 30_000;
assert(SSE_TOPIC_RING_EVENTS_MAX <= SSE_QUEUE_EVENTS_MAX, "a ring replay fits in a subscriber's queue");
assert(SUBSCRIPTION_RETRY_MS_MIN < SUBSCRIPTION_RETRY_MS_MAX, "the first retry delay is below the longest");
