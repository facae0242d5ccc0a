/**
 * The SSE hub of the app port: one loop follows the change log (`db.changes.next`) in LSN order,
 * renders every event of a topic that has subscribers once (a guest call when the topic has a
 * render function), keeps it in the topic's ring and writes it to every live subscriber. A new or
 * reconnecting subscriber first catches up on its own — reading the change log from its
 * Last-Event-ID and rendering for itself, at the pace its client reads — until the rings of its
 * topics cover its position; then it switches to live delivery (docs/changes.md, "Server-Sent
 * Events").
 *
 * Invariants: one connection receives its events in LSN order with no gap and no duplicate (the
 * hub delivers only LSNs above a subscriber's cursor, and a topic's ring holds every event above
 * its `coveredFrom`); `#horizon` is the LSN up to which the hub has decided which topics an event
 * goes to, so a topic activated meanwhile starts its coverage there; nothing is rendered for a
 * topic without subscribers.
 */
import type { Database } from "../../engine/db/database.ts";
import { PlanckError } from "../../protocol/errors.ts";
import {
  type ChangeEvent,
  type ChangeGroup,
  type ChangeRecord,
  eventOf,
} from "../../engine/changes/record.ts";
import { decodeTagged } from "../../framework/tagged_json.ts";
import { SSE_HEARTBEAT_MS, SSE_RETRY_MS } from "../limits.ts";

/** How often the hub sweeps its streams for slow consumers (and sends heartbeats when due), in milliseconds. */
const SWEEP_MS = 250;
import type { GuestRequest, GuestResponse } from "../../protocol/abi.ts";
import type { ServiceRegistry } from "../services/registry.ts";
import type { LiveOp } from "./match.ts";
import {
  eventJson,
  formatBody,
  heartbeatBlock,
  openingBlock,
  resumeLostBlock,
  type TopicBlock,
  topicBlock,
} from "./sse_format.ts";
import { type EndReason, Subscriber } from "./subscriber.ts";
import { TopicRuntime } from "./topic_runtime.ts";

type Matched = [TopicRuntime, TopicBlock];

let callCounter = 0;

export class EventHub {
  readonly #db: Database;
  readonly #registry: ServiceRegistry;
  readonly #log: (line: string) => void;
  #topics = new Map<string, TopicRuntime>();
  #generation = -1;
  /** The last group fully processed by the loop. */
  #position: number;
  /** The LSN up to which the loop has chosen the topics of each event. */
  #horizon: number;
  readonly #subscribers = new Set<Subscriber>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #closed = false;
  /** Set when a delivery left a live queue over half full: the loop yields a macrotask. */
  #pressed = false;
  #opened = 0;
  #slowConsumers = 0;
  #resumeLost = 0;

  constructor(db: Database, registry: ServiceRegistry, log: (line: string) => void) {
    this.#db = db;
    this.#registry = registry;
    this.#log = log;
    this.#position = this.#horizon = db.lastLsn;
    let lastBeatMs = Date.now();
    this.#heartbeat = setInterval(() => {
      const now = Date.now();
      for (const subscriber of this.#subscribers) subscriber.sweep(now);
      if (now - lastBeatMs < SSE_HEARTBEAT_MS) return;
      lastBeatMs = now;
      this.#beat();
    }, SWEEP_MS);
    Deno.unrefTimer(Number(this.#heartbeat));
    void this.#run();
  }

  /** Open streams. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** The topic named `name` of the current deployed set, or undefined. */
  topic(name: string): TopicRuntime | undefined {
    this.#sync();
    return this.#topics.get(name);
  }

  /** Runs a topic's authorize call (the service's middleware, then its authorize function). */
  authorize(topic: TopicRuntime, request: Omit<GuestRequest, "planck">): Promise<GuestResponse> {
    const call = { kind: "authorize", topic: topic.declaration.name };
    return this.#registry.dispatch(
      topic.service,
      { ...request, planck: call },
      `(topic ${topic.declaration.name})`,
    );
  }

  /**
   * Opens a stream of `topics` after LSN `since` ("now": the hub's position). A `since` the change
   * log no longer holds (or above the last LSN) starts the stream with a `resume_point_lost` event
   * and continues from now.
   */
  open(topics: TopicRuntime[], since: number | "now"): Subscriber {
    let cursor = since === "now" ? this.#position : since;
    let lost: Uint8Array | undefined;
    if (cursor > this.#db.lastLsn || cursor + 1 < this.#db.changes.oldestLsn) {
      lost = resumeLostBlock(cursor, this.#db.changes.oldestLsn, this.#position);
      cursor = this.#position;
      this.#resumeLost++;
    }
    const subscriber = new Subscriber(topics, cursor, (s, reason) => this.#ended(s, reason));
    this.#subscribers.add(subscriber);
    this.#opened++;
    for (const topic of topics) topic.add(subscriber, this.#horizon);
    subscriber.push(lost ?? openingBlock(SSE_RETRY_MS, cursor));
    void this.#catchUp(subscriber);
    return subscriber;
  }

  /** Counters for `/_planck/metrics`. */
  stats(): Record<string, unknown> {
    this.#sync();
    const topics = [...this.#topics.values()].map((t) => ({
      service: t.service,
      name: t.declaration.name,
      subscribers: t.subscribers.size,
      delivered: t.delivered,
      renderFailures: t.renderFailures,
      ringEvents: t.ring.length,
    }));
    return {
      connections: this.#subscribers.size,
      opened: this.#opened,
      slowConsumers: this.#slowConsumers,
      resumePointLost: this.#resumeLost,
      positionLsn: this.#position,
      topics,
    };
  }

  /** Ends every stream (shutdown); the loop ends when the database closes. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const subscriber of [...this.#subscribers]) subscriber.end("shutdown");
  }

  #ended(subscriber: Subscriber, reason: EndReason): void {
    this.#subscribers.delete(subscriber);
    for (const topic of subscriber.topics) topic.remove(subscriber);
    if (reason === "slow_consumer") {
      this.#slowConsumers++;
      this.#log(
        `planck: sse: a slow consumer was cut off at LSN ${subscriber.cursor} (it resumes with Last-Event-ID)`,
      );
    }
  }

  /** Rebuilds the topic table when the deployed set changed; streams of a topic gone are ended. */
  #sync(): void {
    if (this.#registry.generation === this.#generation) return;
    this.#generation = this.#registry.generation;
    const next = new Map<string, TopicRuntime>();
    for (const version of this.#registry.versions()) {
      for (const declaration of version.manifest.topics ?? []) {
        if (next.has(declaration.name)) {
          this.#log(
            `planck: sse: topic "${declaration.name}" of "${version.manifest.name}" is declared twice; kept the first`,
          );
          continue;
        }
        const old = this.#topics.get(declaration.name);
        const keep = old !== undefined && old.service === version.manifest.name &&
          old.signature === JSON.stringify(declaration);
        next.set(declaration.name, keep ? old : new TopicRuntime(version.manifest.name, declaration));
      }
    }
    for (const [name, topic] of this.#topics) {
      if (next.get(name) === topic) continue;
      for (const subscriber of [...topic.subscribers]) subscriber.end("topic_gone");
    }
    this.#topics = next;
  }

  async #run(): Promise<void> {
    try {
      while (!this.#closed) {
        const groups = await this.#db.changes.next(this.#position);
        if (groups === null) return;
        this.#sync();
        if (groups.length > 0 && !this.#listened()) {
          // Nobody to deliver to (a replica catching up, a primary without SSE clients): skip ahead.
          this.#position = this.#horizon = groups[groups.length - 1].commitLsn;
          continue;
        }
        for (const group of groups) {
          await this.#process(group);
          // Responses are written by the event loop: a burst of groups from memory must let it run.
          if (this.#pressed) await new Promise((resolve) => setTimeout(resolve, 0));
          this.#pressed = false;
        }
      }
    } catch (error) {
      if (!this.#closed) this.#log(`planck: sse: the event loop stopped: ${(error as Error).message}`);
      this.close();
    }
  }

  /** Whether any topic has a subscriber. */
  #listened(): boolean {
    for (const topic of this.#topics.values()) if (topic.subscribers.size > 0) return true;
    return false;
  }

  async #process(group: ChangeGroup): Promise<void> {
    this.#sync();
    const storeIds = new Map<TopicRuntime, number>();
    for (const record of group.records) {
      if (record.lsn <= this.#position) continue;
      this.#horizon = record.lsn;
      const matched: Matched[] = [];
      for (const topic of this.#topics.values()) {
        if (topic.subscribers.size === 0) continue;
        const block = await this.#blockOf(topic, record, group.commitLsn, storeIds);
        if (block !== null) matched.push([topic, block]);
      }
      if (matched.length > 0) this.#deliver(record.lsn, matched);
    }
    this.#position = this.#horizon = group.commitLsn;
  }

  /** The rendered block of `record` for `topic`, or null when it is not the topic's. */
  async #blockOf(
    topic: TopicRuntime,
    record: ChangeRecord,
    commitLsn: number,
    storeIds: Map<TopicRuntime, number>,
  ): Promise<TopicBlock | null> {
    let storeId = storeIds.get(topic);
    if (storeId === undefined) {
      storeId = this.#db.hasStore(topic.engineStore) ? this.#db.storeInfo(topic.engineStore).id : -1;
      storeIds.set(topic, storeId);
    }
    if (record.storeId !== storeId) return null;
    const event = eventOf(record, commitLsn, topic.engineStore);
    if (event === undefined) return null;
    const op = topic.matcher.match(event);
    return op === null ? null : await this.#render(topic, event, op);
  }

  async #render(topic: TopicRuntime, event: ChangeEvent, op: LiveOp): Promise<TopicBlock | null> {
    const gone = op === "delete" || op === "leave";
    const guestEvent = {
      lsn: event.lsn,
      op,
      store: topic.declaration.store,
      key: event.key,
      ...(gone || event.doc === undefined ? {} : { doc: event.doc }),
    };
    let rendered: unknown;
    if (topic.declaration.render) {
      const request: GuestRequest = {
        id: `sse-${(++callCounter).toString(36)}`,
        method: "POST",
        path: "/events",
        query: "",
        headers: [],
        body: null,
        planck: { kind: "render", topic: topic.declaration.name, event: guestEvent },
      };
      const reply = await this.#registry.dispatch(
        topic.service,
        request,
        `(topic ${topic.declaration.name})`,
      );
      if (reply.status !== 200 || typeof reply.body !== "string") {
        topic.renderFailures++;
        this.#log(
          `planck: sse: topic "${topic.declaration.name}" failed to render LSN ${event.lsn} (${reply.status}); skipped`,
        );
        return null;
      }
      rendered = (decodeTagged(reply.body) as { result: unknown }).result;
    }
    const body = formatBody(topic.declaration, eventJson(guestEvent), rendered);
    return body === null ? null : topicBlock(event.lsn, body);
  }

  /** Writes the blocks of one LSN to the live subscribers of their topics. */
  #deliver(lsn: number, matched: Matched[]): void {
    for (let i = 0; i < matched.length; i++) {
      const [topic, block] = matched[i];
      topic.keep(block);
      topic.delivered++;
      for (const subscriber of topic.subscribers) {
        if (!subscriber.live || subscriber.cursor >= lsn) continue;
        const later = matched.length > 1 && matched.slice(i + 1).some(([t]) => t.subscribers.has(subscriber));
        subscriber.push(later ? block.bare : block.withId);
        if (!later) subscriber.cursor = lsn;
        if (subscriber.pressed) this.#pressed = true;
      }
    }
  }

  /** Reads the change log from the subscriber's cursor until its topics' rings cover it. */
  async #catchUp(subscriber: Subscriber): Promise<void> {
    while (!subscriber.ended) {
      if (subscriber.topics.every((t) => subscriber.cursor >= t.coveredFrom)) return this.#goLive(subscriber);
      let groups: ChangeGroup[] | null;
      try {
        groups = await this.#db.changes.next(subscriber.cursor);
      } catch (error) {
        if (!(error instanceof PlanckError) || error.code !== "resume_point_lost") throw error;
        this.#resumeLost++;
        subscriber.push(resumeLostBlock(subscriber.cursor, this.#db.changes.oldestLsn, this.#position));
        subscriber.cursor = this.#position;
        continue;
      }
      if (groups === null) return subscriber.end("shutdown");
      for (const group of groups) {
        const storeIds = new Map<TopicRuntime, number>();
        for (const record of group.records) {
          if (record.lsn <= subscriber.cursor) continue;
          const matched: Matched[] = [];
          for (const topic of subscriber.topics) {
            const block = await this.#blockOf(topic, record, group.commitLsn, storeIds);
            if (block !== null) matched.push([topic, block]);
          }
          for (let i = 0; i < matched.length; i++) {
            await subscriber.room();
            subscriber.push(i < matched.length - 1 ? matched[i][1].bare : matched[i][1].withId);
          }
          if (subscriber.ended) return;
          subscriber.cursor = record.lsn;
        }
        subscriber.cursor = Math.max(subscriber.cursor, group.commitLsn);
        if (subscriber.topics.every((t) => subscriber.cursor >= t.coveredFrom)) break;
      }
    }
  }

  /** Sends what the rings hold after the cursor, then delivers live (synchronously: no gap). */
  #goLive(subscriber: Subscriber): void {
    const pending: TopicBlock[] = [];
    for (const topic of subscriber.topics) {
      for (const block of topic.ring) if (block.lsn > subscriber.cursor) pending.push(block);
    }
    pending.sort((a, b) => a.lsn - b.lsn);
    for (let i = 0; i < pending.length; i++) {
      const last = i === pending.length - 1 || pending[i + 1].lsn !== pending[i].lsn;
      subscriber.push(last ? pending[i].withId : pending[i].bare);
      if (last) subscriber.cursor = pending[i].lsn;
    }
    subscriber.live = true;
  }

  #beat(): void {
    for (const subscriber of this.#subscribers) {
      const lsn = subscriber.live ? Math.max(subscriber.cursor, this.#position) : null;
      if (lsn !== null) subscriber.cursor = lsn;
      subscriber.push(heartbeatBlock(lsn));
    }
  }
}
