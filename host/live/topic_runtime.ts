/**
 * A declared topic while the server runs: the manifest declaration, its compiled matcher, the
 * engine store it follows, its subscribers, and the ring of its latest rendered events that lets a
 * reconnecting subscriber switch from catching up (WAL) to live without a gap.
 *
 * Invariants: the ring holds, in LSN order, every event of the topic with an LSN above
 * `coveredFrom` that the hub has processed; `coveredFrom` is Infinity while the topic has no
 * subscriber (nothing is rendered for it then) and only grows while it has some; the ring holds
 * at most SSE_TOPIC_RING_EVENTS_MAX blocks.
 */
import { SSE_TOPIC_RING_EVENTS_MAX } from "../limits.ts";
import type { ManifestTopic } from "../../protocol/abi.ts";
import { scopedStore } from "../guest/sandbox.ts";
import { compileMatcher, type LiveMatcher } from "./match.ts";
import type { TopicBlock } from "./sse_format.ts";
import type { Subscriber } from "./subscriber.ts";

export class TopicRuntime {
  readonly service: string;
  readonly declaration: ManifestTopic;
  /** JSON of the declaration: a redeploy that keeps it keeps this runtime and its subscribers. */
  readonly signature: string;
  readonly engineStore: string;
  readonly matcher: LiveMatcher;
  readonly subscribers = new Set<Subscriber>();
  readonly ring: TopicBlock[] = [];
  coveredFrom = Infinity;
  /** Events rendered and sent (counted once per event, not per subscriber). */
  delivered = 0;
  /** Renders that failed (the event was skipped and logged). */
  renderFailures = 0;

  constructor(service: string, declaration: ManifestTopic) {
    this.service = service;
    this.declaration = declaration;
    this.signature = JSON.stringify(declaration);
    this.engineStore = scopedStore(service, declaration.store);
    this.matcher = compileMatcher(declaration);
  }

  /** Adds a subscriber; the first one starts coverage at `horizon` (the hub's decided position). */
  add(subscriber: Subscriber, horizon: number): void {
    if (this.subscribers.size === 0) {
      this.coveredFrom = horizon;
      this.ring.length = 0;
    }
    this.subscribers.add(subscriber);
  }

  remove(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) {
      this.coveredFrom = Infinity;
      this.ring.length = 0;
    }
  }

  /** Keeps a rendered block for reconnecting subscribers. */
  keep(block: TopicBlock): void {
    this.ring.push(block);
    if (this.ring.length > SSE_TOPIC_RING_EVENTS_MAX) this.coveredFrom = this.ring.shift()!.lsn;
  }
}
