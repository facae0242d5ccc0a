/**
 * Bounds of the workbench: sessions, bodies, pages and live streams, each with its unit and reason.
 */

/** A session's lifetime from login, in milliseconds (the cookie's Max-Age matches). */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** Sessions kept at once; past it the oldest is dropped (bounded memory under login floods). */
export const SESSIONS_MAX = 10_000;
/** Largest JSON or form body the API reads, in bytes. */
export const API_BODY_BYTES_MAX = 16 * 1024 * 1024;
/** Rows shown per page in tables (PQL results, documents). */
export const PAGE_ROWS = 25;
/** Most rows one API browse returns. */
export const BROWSE_ROWS_MAX = 1_000;
/** Newest log entries one request returns by default. */
export const LOG_ROWS_DEFAULT = 200;
/** Documents counted per store for the stores list before it says "at least". */
export const STORE_COUNT_DOCS_MAX = 100_000;
/** Interval between metric samples (and overview SSE events), in milliseconds. */
export const SAMPLE_INTERVAL_MS = 2_000;
/** Samples kept for the overview charts (150 × 2 s = the last 5 minutes). */
export const SAMPLES_MAX = 150;
/** Open SSE streams at once; past it a new one gets 503. */
export const SSE_STREAMS_MAX = 64;
/** Next runs a cron preview shows by default. */
export const CRON_PREVIEW_RUNS = 5;
/** Most next runs one preview computes. */
export const CRON_PREVIEW_MAX = 50;
/** Events one live-view stream sends before it ends (the page offers to watch again). */
export const LIVE_EVENTS_MAX = 10_000;
/** Events a live-view page keeps on screen (ops.js removes older rows). */
export const LIVE_ROWS_SHOWN = 200;
/** Characters of one document's JSON sent in a live-view event (a longer one is cut and marked truncated). */
export const LIVE_DOC_CHARS_MAX = 2_000;
/** Live-view streams one session may hold open (a new one past it closes the oldest). */
export const LIVE_STREAMS_PER_SESSION = 4;
/** Backups listed per directory (newest first). */
export const BACKUPS_LISTED_MAX = 500;
