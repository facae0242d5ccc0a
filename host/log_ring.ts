/**
 * The server's log: every line the process reports (start-up, deploys, service logs, failures)
 * goes to a bounded in-memory ring (the workbench's logs screen reads it) and, when a file is
 * attached, is appended to `<data>/planck.log` as one JSON object per line
 * (`{"time","level","source","message"}`).
 *
 * Invariants: the ring holds at most LOG_RING_ENTRIES_MAX entries (the oldest go first) and each
 * message at most LOG_MESSAGE_CHARS_MAX characters; sequence numbers strictly increase; the file
 * is rotated to `planck.log.1` past LOG_FILE_BYTES_MAX so it never grows without bound; a failed
 * file write never fails the caller (the ring still has the line).
 */
import { redactKeyShapes } from "./redact_keys.ts";
import { LOG_FILE_BYTES_MAX, LOG_MESSAGE_CHARS_MAX, LOG_RING_ENTRIES_MAX } from "./limits.ts";

/** Levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** One level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** One logged line. */
export interface LogEntry {
  /** Position in the log since start (1, 2, …). */
  seq: number;
  time: Date;
  level: LogLevel;
  /** "server", or "service:<name>" for a service's lines. */
  source: string;
  message: string;
}

/** What `query` filters on. */
export interface LogQuery {
  /** Lowest level shown (default debug: all). */
  level?: LogLevel;
  /** Case-insensitive substring of the message or source. */
  q?: string;
  /** Only this source (for a service's log: "service:<name>"). */
  source?: string;
  /** Only entries after this sequence number (tailing). */
  afterSeq?: number;
  /** Newest entries returned (default and max: the ring's size). */
  limit?: number;
}

/** The name of the log file inside the data directory. */
export const LOG_FILE = "planck.log";

/** A bounded ring of log entries with an optional file behind it. */
export class LogRing {
  readonly #entries: LogEntry[] = [];
  readonly #capacity: number;
  #start = 0;
  #seq = 0;
  #file: Deno.FsFile | null = null;
  #path: string | null = null;
  #fileBytes = 0;
  readonly #encoder = new TextEncoder();
  readonly #listeners = new Set<(entry: LogEntry) => void>();

  constructor(capacity = LOG_RING_ENTRIES_MAX) {
    this.#capacity = Math.max(1, Math.min(capacity, LOG_RING_ENTRIES_MAX));
  }

  /** Appends every later entry to `path` (rotating at LOG_FILE_BYTES_MAX). */
  attachFile(path: string): void {
    this.#path = path;
    this.#file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    this.#fileBytes = this.#file.statSync().size;
  }

  /** Records one line. A server line like "planck: service x …" keeps its text as the message. */
  add(level: LogLevel, message: string, source = "server"): LogEntry {
    const entry: LogEntry = {
      seq: ++this.#seq,
      time: new Date(),
      level,
      source,
      message: message.length > LOG_MESSAGE_CHARS_MAX
        ? message.slice(0, LOG_MESSAGE_CHARS_MAX) + "…"
        : message,
    };
    if (this.#entries.length < this.#capacity) this.#entries.push(entry);
    else {
      this.#entries[this.#start] = entry;
      this.#start = (this.#start + 1) % this.#capacity;
    }
    this.#write(entry);
    for (const listener of this.#listeners) listener(entry);
    return entry;
  }

  /** Entries matching `query`, oldest first (at most `limit` of the newest). */
  query(query: LogQuery = {}): LogEntry[] {
    const min = LOG_LEVELS.indexOf(query.level ?? "debug");
    const needle = query.q?.toLowerCase() ?? "";
    const out: LogEntry[] = [];
    for (let i = 0; i < this.#entries.length; i++) {
      const entry = this.#entries[(this.#start + i) % this.#entries.length];
      if (LOG_LEVELS.indexOf(entry.level) < min) continue;
      if (query.afterSeq !== undefined && entry.seq <= query.afterSeq) continue;
      if (query.source !== undefined && entry.source !== query.source) continue;
      if (needle !== "" && !`${entry.source} ${entry.message}`.toLowerCase().includes(needle)) continue;
      out.push(entry);
    }
    const limit = Math.min(query.limit ?? this.#capacity, this.#capacity);
    return out.length > limit ? out.slice(out.length - limit) : out;
  }

  /** The newest sequence number (0 before the first entry). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Calls `listener` for every new entry until the returned function is called. */
  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes the file (the ring stays readable). */
  close(): void {
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = null;
  }

  #write(entry: LogEntry): void {
    if (this.#file === null || this.#path === null) return;
    const line = this.#encoder.encode(JSON.stringify(entry) + "\n");
    try {
      if (this.#fileBytes + line.length > LOG_FILE_BYTES_MAX) {
        this.#file.close();
        Deno.renameSync(this.#path, `${this.#path}.1`);
        this.#file = Deno.openSync(this.#path, { append: true, create: true, mode: 0o600 });
        this.#fileBytes = 0;
      }
      this.#file.writeSync(line);
      this.#fileBytes += line.length;
    } catch {
      // The ring keeps the line; a full or read-only disk must not fail the server.
    }
  }
}

/** A line with every user key replaced by "…" (connection strings' `key=` and "the key X"). */
export function redactKeys(line: string): string {
  return redactKeyShapes(line).replace(/\bkey=[^;\s]+/g, "key=…").replace(
    /\bthe key [A-Za-z0-9_-]{16,}/g,
    "the key shown on the console",
  );
}

/** The level a server line implies: "failed"/"error" lines are errors, "SALVAGE"/"warn" warnings. */
export function levelOf(line: string): LogLevel {
  if (/\b(error|failed|fails|cannot)\b/i.test(line)) return "error";
  if (/\b(warn|warning|salvage)\b/i.test(line)) return "warn";
  const guest = /: (debug|info|warn|error): /.exec(line);
  return guest === null ? "info" : guest[1] as LogLevel;
}

/** The source of a server line: "service:<name>" for lines about or from one service. */
export function sourceOf(line: string): string {
  const match = /\bservice "?([A-Za-z0-9_.-]+)"?/.exec(line);
  return match === null ? "server" : `service:${match[1]}`;
}
