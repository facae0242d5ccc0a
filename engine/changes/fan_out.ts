/**
 * One change-log reader per database fanning out to its live watches: instead of every watch
 * waiting on the change log and stepping its own async iterator, one loop reads each batch of
 * durable groups once and hands every group synchronously to every joined sink (follower.ts).
 *
 * A sink joins only when it has seen the log up to the reader's position (`join` refuses it
 * otherwise: it catches up by reading the log itself, then joins); it leaves when it ends or when
 * its consumer falls behind. The loop runs while some sink is joined; idle, the next sink to join
 * sets the position.
 *
 * Invariant: every joined sink has been handed every group with a commit LSN in (its cursor when
 * it joined, `position`], in commit order, each once (a sink skips records at or below its own
 * cursor, so a sink that read ahead of the reader is handed those groups again harmlessly).
 */
import type { ChangeLog } from "./change_log.ts";
import type { ChangeGroup } from "./record.ts";

/** A watch fed by the reader. */
export interface LiveSink {
  /** The LSN up to which the sink has seen the log. */
  readonly cursor: number;
  /** Handed each group after the sink's join, synchronously, in commit order. */
  deliver(group: ChangeGroup): void;
  /** The log closed (no error) or could not be read (the error); the sink has left. */
  end(error?: unknown): void;
}

export class ChangeFanOut {
  readonly #log: ChangeLog;
  readonly #sinks = new Set<LiveSink>();
  #position = 0;
  #running = false;

  constructor(log: ChangeLog) {
    this.#log = log;
  }

  /** Joined sinks. */
  get size(): number {
    return this.#sinks.size;
  }

  /** Joins `sink` when it has seen the log up to the reader's position; false: catch up first. */
  join(sink: LiveSink): boolean {
    if (this.#running) {
      if (sink.cursor < this.#position) return false;
    } else {
      this.#position = sink.cursor;
      this.#running = true;
      void this.#run();
    }
    this.#sinks.add(sink);
    return true;
  }

  leave(sink: LiveSink): void {
    this.#sinks.delete(sink);
  }

  async #run(): Promise<void> {
    while (true) {
      let groups: ChangeGroup[] | null;
      try {
        groups = await this.#log.next(this.#position);
      } catch (error) {
        return this.#endAll(error);
      }
      if (groups === null) return this.#endAll(undefined);
      if (this.#sinks.size === 0) {
        this.#running = false;
        return;
      }
      for (const group of groups) {
        for (const sink of this.#sinks) if (sink.cursor < group.commitLsn) sink.deliver(group);
        this.#position = group.commitLsn;
      }
    }
  }

  #endAll(error: unknown): void {
    this.#running = false;
    const sinks = [...this.#sinks];
    this.#sinks.clear();
    for (const sink of sinks) sink.end(error);
  }
}

const FAN_OUTS = new WeakMap<ChangeLog, ChangeFanOut>();

/** The reader of `log` (one per change log). */
export function fanOutOf(log: ChangeLog): ChangeFanOut {
  let fanOut = FAN_OUTS.get(log);
  if (fanOut === undefined) {
    fanOut = new ChangeFanOut(log);
    FAN_OUTS.set(log, fanOut);
  }
  return fanOut;
}
