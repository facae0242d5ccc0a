/**
 * Service subscriptions (`app.on(store | {store, filter}, handler)`): for every subscription of
 * every deployed JS service the host follows the store's changes from the subscription's saved
 * progress and calls the handler once per event, each call its own transaction (the guest's
 * writes commit before the next event), in LSN order. Delivery is at least once: the progress
 * (the LSN of the last event handled) is saved in the system store `syssubscriptions` after the
 * handler's transaction committed, so a crash in between re-delivers that event; handlers use the
 * event's `lsn` to be idempotent. A failing handler (5xx: a throw, a trap, a timeout) is retried,
 * the same event, after SUBSCRIPTION_RETRY_MS_MIN doubling up to SUBSCRIPTION_RETRY_MS_MAX; later
 * events wait. A new subscription starts at the current end of the log.
 *
 * Invariants: at most one runner per (service, subscription name); progress only grows; a runner
 * stops when its service is undeployed or no longer declares it, and when the server stops.
 */
import { bytesToHex } from "../../protocol/hex.ts";
import type { Database } from "../../engine/db/database.ts";
import { decodeDocument } from "../../engine/document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { transaction } from "../../engine/tx/transaction.ts";
import { watchStore } from "../../engine/changes/watch.ts";
import { SUBSCRIPTION_RETRY_MS_MAX, SUBSCRIPTION_RETRY_MS_MIN } from "../limits.ts";
import type { ManifestSubscription } from "../../protocol/abi.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import { scopedStore } from "../guest/sandbox.ts";
import { compileMatcher, type LiveMatcher } from "./match.ts";

/** The system store of subscription progress: `{service, name, store, lsn, updatedAt}` per subscription. */
export const SUBSCRIPTIONS_STORE = "syssubscriptions";

/** The key of a subscription's progress: the first 128 bits of SHA-256 of "service\0name". */
async function progressKey(service: string, name: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${service}\0${name}`));
  return bytesToHex(new Uint8Array(digest).subarray(0, 16));
}

class Runner {
  readonly service: string;
  readonly declaration: ManifestSubscription;
  readonly signature: string;
  readonly engineStore: string;
  readonly matcher: LiveMatcher;
  lastLsn = 0;
  handled = 0;
  failures = 0;
  retrying = false;
  /** True while an event is in hand (between the watch yielding it and its progress saved). */
  busy = false;
  lastError = "";
  stopped = false;
  readonly #abort = new AbortController();

  constructor(service: string, declaration: ManifestSubscription) {
    this.service = service;
    this.declaration = declaration;
    this.signature = JSON.stringify(declaration);
    this.engineStore = scopedStore(service, declaration.store);
    this.matcher = compileMatcher(declaration);
  }

  stop(): void {
    this.stopped = true;
    this.#abort.abort();
  }

  /** Waits `ms` unless stopped first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}

let callCounter = 0;
/** Events a filtered subscription skips between two saves of its progress. */
const SKIPPED_SAVE_EVERY = 256;

export class SubscriptionManager {
  readonly #db: Database;
  readonly #registry: ServiceRegistry;
  readonly #log: (line: string) => void;
  #runners = new Map<string, Runner>();
  #closed = false;

  private constructor(db: Database, registry: ServiceRegistry, log: (line: string) => void) {
    this.#db = db;
    this.#registry = registry;
    this.#log = log;
  }

  /** Creates the progress store and starts a runner per declared subscription. */
  static async start(
    db: Database,
    registry: ServiceRegistry,
    log: (line: string) => void,
  ): Promise<SubscriptionManager> {
    await db.createStore(SUBSCRIPTIONS_STORE, { system: true, ifNotExists: true });
    const manager = new SubscriptionManager(db, registry, log);
    registry.onChange.add(() => manager.#sync());
    manager.#sync();
    return manager;
  }

  /** Counters for `/_planck/metrics`: per subscription, progress, lag (in LSNs, 0 when caught up), counts. */
  stats(): Record<string, unknown>[] {
    const last = this.#db.lastLsn;
    return [...this.#runners.values()].map((r) => ({
      service: r.service,
      name: r.declaration.name,
      store: r.declaration.store,
      lastLsn: r.lastLsn,
      // Idle means caught up: the watch has nothing after lastLsn for this store.
      lagLsn: r.busy ? Math.max(0, last - r.lastLsn) : 0,
      handled: r.handled,
      failures: r.failures,
      retrying: r.retrying,
      lastError: r.lastError,
    }));
  }

  /** Stops every runner (a handler running finishes; nothing new starts). */
  close(): void {
    this.#closed = true;
    for (const runner of this.#runners.values()) runner.stop();
    this.#runners.clear();
  }

  #sync(): void {
    if (this.#closed) return;
    const next = new Map<string, Runner>();
    for (const version of this.#registry.versions()) {
      for (const declaration of version.manifest.subscriptions ?? []) {
        const id = `${version.manifest.name}\0${declaration.name}`;
        const old = this.#runners.get(id);
        if (old !== undefined && old.signature === JSON.stringify(declaration)) {
          next.set(id, old);
          continue;
        }
        const runner = new Runner(version.manifest.name, declaration);
        next.set(id, runner);
        void this.#run(runner);
      }
    }
    for (const [id, runner] of this.#runners) if (next.get(id) !== runner) runner.stop();
    this.#runners = next;
  }

  async #run(runner: Runner): Promise<void> {
    try {
      const key = await progressKey(runner.service, runner.declaration.name);
      const saved = this.#db.read(this.#db.storeInfo(SUBSCRIPTIONS_STORE).id, key);
      runner.lastLsn = saved === undefined ? this.#db.lastLsn : Number(decodeDocument(saved).lsn);
      if (saved === undefined) await this.#save(runner, key);
      let skipped = 0;
      while (!runner.stopped && !this.#db.closed) {
        await this.#db.createStore(runner.engineStore, { ifNotExists: true });
        try {
          for await (const event of watchStore(this.#db, runner.engineStore, { since: runner.lastLsn })) {
            if (runner.stopped) return;
            runner.busy = true;
            const op = runner.matcher.match(event);
            skipped = op === null ? skipped + 1 : 0;
            if (op !== null) {
              const gone = op === "delete" || op === "leave";
              const guestEvent = {
                lsn: event.lsn,
                op,
                store: runner.declaration.store,
                key: event.key,
                ...(gone || event.doc === undefined ? {} : { doc: event.doc }),
              };
              if (!await this.#handle(runner, guestEvent)) return;
            }
            runner.lastLsn = event.lsn;
            // Progress past events the source skips is saved now and then, not per event.
            if (op !== null || skipped % SKIPPED_SAVE_EVERY === 0) await this.#save(runner, key);
            runner.busy = false;
          }
        } catch (error) {
          if (!(error instanceof PlanckError) || error.code !== "resume_point_lost") throw error;
          const oldest = Number(error.location?.lsn ?? this.#db.changes.oldestLsn);
          runner.lastError = error.message;
          this.#log(
            `planck: subscription "${runner.declaration.name}" of "${runner.service}": ${error.message}; ` +
              `events up to LSN ${oldest - 1} were lost, continuing from there`,
          );
          runner.lastLsn = Math.max(runner.lastLsn, oldest - 1);
        }
      }
    } catch (error) {
      if (runner.stopped || this.#db.closed) return;
      runner.lastError = (error as Error).message;
      this.#log(
        `planck: subscription "${runner.declaration.name}" of "${runner.service}" stopped: ${runner.lastError}`,
      );
    }
  }

  /** Runs the handler until it succeeds (true) or the runner stops (false). */
  async #handle(runner: Runner, event: Record<string, unknown>): Promise<boolean> {
    for (let attempt = 0; !runner.stopped; attempt++) {
      const reply = await this.#registry.dispatch(runner.service, {
        id: `on-${(++callCounter).toString(36)}`,
        method: "POST",
        path: "/_planck/on",
        query: "",
        headers: [],
        body: null,
        planck: { kind: "on", name: runner.declaration.name, event },
      }, `(on ${runner.declaration.name})`);
      if (reply.status < 300) {
        runner.handled++;
        runner.retrying = false;
        return true;
      }
      runner.failures++;
      runner.retrying = true;
      runner.lastError = `LSN ${event.lsn}: ${reply.status} ${
        typeof reply.body === "string" ? reply.body.trim() : ""
      }`;
      await runner.sleep(Math.min(SUBSCRIPTION_RETRY_MS_MIN * 2 ** attempt, SUBSCRIPTION_RETRY_MS_MAX));
    }
    return false;
  }

  async #save(runner: Runner, key: string): Promise<void> {
    const doc = {
      service: runner.service,
      name: runner.declaration.name,
      store: runner.declaration.store,
      lsn: runner.lastLsn,
      updatedAt: new Date(),
    };
    await transaction(this.#db, (tx) => tx.store(SUBSCRIPTIONS_STORE).put(key, doc));
  }
}
