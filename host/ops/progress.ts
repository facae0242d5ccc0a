/**
 * Progress of long operations on stderr: one line, rewritten in place on a terminal (a line per
 * report otherwise), at most every PROGRESS_INTERVAL_MS, with counts, bytes, rate and ETA when
 * the total is known.
 */

/** Least time between two reports. */
export const PROGRESS_INTERVAL_MS = 1_000;

/** A progress reporter; `done` prints the last line. */
export class Progress {
  readonly #label: string;
  readonly #totalBytes: number | undefined;
  readonly #quiet: boolean;
  readonly #unit: string;
  readonly #started = performance.now();
  #last = performance.now();
  #terminal = Deno.stderr.isTerminal();

  constructor(label: string, options: { totalBytes?: number; quiet?: boolean; unit?: string } = {}) {
    this.#label = label;
    this.#totalBytes = options.totalBytes;
    this.#quiet = options.quiet ?? false;
    this.#unit = options.unit ?? "records";
  }

  /** Reports `records` (or other units) done and `bytes` read or written so far (throttled). */
  update(records: number, bytes: number): void {
    const now = performance.now();
    if (now - this.#last < PROGRESS_INTERVAL_MS) return;
    this.#last = now;
    this.#print(records, bytes, false);
  }

  /** The final report. */
  done(records: number, bytes: number): void {
    this.#print(records, bytes, true);
  }

  #print(records: number, bytes: number, final: boolean): void {
    if (this.#quiet) return;
    const seconds = Math.max((performance.now() - this.#started) / 1000, 1e-3);
    const parts = [`${this.#label}: ${records} ${this.#unit}`, `${mib(bytes)} MiB`];
    parts.push(`${Math.round(records / seconds)} ${this.#unit}/s`, `${mib(bytes / seconds)} MiB/s`);
    if (!final && this.#totalBytes !== undefined && bytes > 0) {
      parts.push(`ETA ${Math.ceil(((this.#totalBytes - bytes) / bytes) * seconds)} s`);
    }
    if (final) parts.push(`in ${seconds.toFixed(1)} s`);
    const text = parts.join(", ");
    const line = this.#terminal ? `\r\x1b[K${text}${final ? "\n" : ""}` : `${text}\n`;
    Deno.stderr.writeSync(new TextEncoder().encode(line));
  }
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
