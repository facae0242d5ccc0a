/**
 * How one system follows another's data: the source instance's change stream for one store (the
 * wire client's watch iterator, which reconnects and resumes by itself), each event turned into
 * writes on the target instance by `apply`, and the position saved beside them — the event's LSN
 * written in the same atomic batch as the writes it caused, in the target's own `feeds` store. A
 * restarted follower resumes right after the last event it applied: nothing is skipped, nothing is
 * applied twice. The first run (no saved position) starts from a snapshot of the store; its events
 * are applied but the position is saved only after it, so a follower stopped mid-snapshot takes it
 * again (`apply` must therefore be idempotent, e.g. write under the source's key).
 *
 * Both stores are created when missing (an empty store is what a system has before its first write).
 *
 * Integration runtime only: the domain rules are in each system's follow_*.ts.
 */
import { ClientError, type ClientWriteOp, type PlanckClient, type WatchEvent } from "planck";

/** One follower. */
export interface Follower {
  /** Names the saved position (one per follower in the target's feeds store). */
  name: string;
  /** The source instance and its store (engine name: `<service>__<store>`). */
  source: PlanckClient;
  store: string;
  /** The target instance and the store that keeps the position there. */
  target: PlanckClient;
  feeds: string;
  /** The target writes for one source event (may read the target). */
  apply(event: WatchEvent, target: PlanckClient): Promise<ClientWriteOp[]>;
}

interface Position {
  store: string;
  lsn: number;
}

/** The 32-hex key of a follower's saved position. */
async function positionKey(name: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name)));
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Creates `store` on `client`'s instance unless it exists (a system's store appears on its first write). */
async function ensureStore(client: PlanckClient, store: string): Promise<void> {
  try {
    await client.query({ op: "createStore", store });
  } catch (error) {
    if (!(error instanceof ClientError && error.code === "conflict")) throw error;
  }
}

/** The LSN a follower resumes after, or undefined before its first saved event. */
export async function savedPosition(follower: Follower): Promise<number | undefined> {
  const saved = await follower.target.store<Position>(follower.feeds).get(await positionKey(follower.name));
  return saved?.lsn;
}

/**
 * Follows until `signal` aborts; calls `applied` after each event's batch commits.
 * @throws the source's or target's error (a follower that cannot apply an event stops there)
 */
export async function follow(
  follower: Follower,
  signal: AbortSignal,
  applied: (event: WatchEvent) => void = () => {},
): Promise<void> {
  const key = await positionKey(follower.name);
  await ensureStore(follower.source, follower.store);
  await ensureStore(follower.target, follower.feeds);
  const since = await savedPosition(follower);
  const events = follower.source.store(follower.store).watch(
    since === undefined ? { snapshot: true } : { since },
  );
  const stop = () => void events.return?.();
  signal.addEventListener("abort", stop, { once: true });
  try {
    for await (const event of events) {
      if (signal.aborted) break;
      const ops = await follower.apply(event, follower.target);
      if (event.op !== "snapshot") {
        ops.push({ op: "put", store: follower.feeds, key, doc: { store: follower.store, lsn: event.lsn } });
      }
      if (ops.length > 0) await follower.target.batch(ops);
      applied(event);
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
