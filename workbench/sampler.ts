/**
 * Samples the server's counters every SAMPLE_INTERVAL_MS and keeps the last SAMPLES_MAX, so the
 * overview can show rates (writes/s, WAL bytes/s, fsyncs/s, requests/s) and small charts of the
 * last minutes. Rates are differences of the engine's and host's own monotonic counters.
 *
 * Invariants: at most SAMPLES_MAX samples are kept; a rate is never negative (a counter that went
 * back, e.g. after a restart of a part, gives 0).
 */
import type { WorkbenchParts } from "../host/server/workbench_hook.ts";
import { SAMPLE_INTERVAL_MS, SAMPLES_MAX } from "./limits.ts";

/** One point of the charts. */
export interface Sample {
  timeMs: number;
  /** Write records per second (LSNs assigned). */
  writesPerS: number;
  /** WAL fsyncs per second. */
  syncsPerS: number;
  /** Records per fsync (group commit size). */
  groupSize: number;
  /** Wire requests plus service HTTP requests per second. */
  requestsPerS: number;
  memtableBytes: number;
}

interface Counters {
  timeMs: number;
  lsn: number;
  syncs: number;
  requests: number;
}

/** The sampler of one workbench. */
export class Sampler {
  readonly samples: Sample[] = [];
  readonly #parts: WorkbenchParts;
  readonly #timer: number;
  #last: Counters;
  readonly #listeners = new Set<() => void>();

  constructor(parts: WorkbenchParts) {
    this.#parts = parts;
    this.#last = this.#read();
    this.#timer = setInterval(() => this.#tick(), SAMPLE_INTERVAL_MS) as unknown as number;
    Deno.unrefTimer(this.#timer);
  }

  /** Calls `listener` after each new sample until the returned function runs. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  #read(): Counters {
    const stats = this.#parts.db.stats();
    const server = this.#parts.server.stats() as { wire?: { requests?: number } };
    const routes = (this.#parts.services.metrics().routes ?? []) as { count: number }[];
    const requests = (server.wire?.requests ?? 0) + routes.reduce((sum, r) => sum + r.count, 0);
    return { timeMs: Date.now(), lsn: stats.lastLsn, syncs: stats.syncs, requests };
  }

  #tick(): void {
    const now = this.#read();
    const seconds = Math.max(0.001, (now.timeMs - this.#last.timeMs) / 1000);
    const rate = (a: number, b: number) => Math.max(0, a - b) / seconds;
    const syncs = Math.max(0, now.syncs - this.#last.syncs);
    this.samples.push({
      timeMs: now.timeMs,
      writesPerS: rate(now.lsn, this.#last.lsn),
      syncsPerS: rate(now.syncs, this.#last.syncs),
      groupSize: syncs === 0 ? 0 : Math.max(0, now.lsn - this.#last.lsn) / syncs,
      requestsPerS: rate(now.requests, this.#last.requests),
      memtableBytes: this.#parts.db.stats().memtableBytes,
    });
    if (this.samples.length > SAMPLES_MAX) this.samples.shift();
    this.#last = now;
    for (const listener of this.#listeners) listener();
  }
}
