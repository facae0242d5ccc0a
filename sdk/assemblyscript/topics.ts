/**
 * Live topics of a native (AssemblyScript) service: `topic("orders", "orders")` declares an SSE
 * topic the host serves at `GET /events?topic=orders` (docs/changes.md, "Server-Sent Events"),
 * following one of the service's stores, or one key (`topicKey`) or a key range (`topicRange`) of
 * it. The host writes each event in the JSON format — `{lsn, op, store, key, doc?}` under the SSE
 * event name (the topic's name unless given) — and needs no call into the module for it: the topic
 * is read once, by `planck_describe` at build time, and lands in the manifest.
 *
 * Not offered to native services (JS tier only): render functions (htmx/Datastar fragments), filter
 * topics and per-topic authorize functions.
 *
 * Invariants: declarations happen at start (top level), like route(); names are unique (the host
 * refuses a manifest with a name twice).
 */
import { BsonWriter, ITEM } from "./bson";

class TopicDeclaration {
  constructor(
    readonly name: string,
    readonly store: string,
    readonly event: string,
    readonly key: string,
    readonly from: string,
    readonly to: string,
  ) {}
}

const topics: TopicDeclaration[] = [];

/** Declares topic `name` over the service's store `store` (every write to it); `event` names the SSE event. */
export function topic(name: string, store: string, event: string = ""): void {
  topics.push(new TopicDeclaration(name, store, event.length > 0 ? event : name, "", "", ""));
}

/** Declares topic `name` over one key (32 hex digits) of `store`. */
export function topicKey(name: string, store: string, key: string, event: string = ""): void {
  topics.push(new TopicDeclaration(name, store, event.length > 0 ? event : name, key, "", ""));
}

/** Declares topic `name` over the keys of `store` from `from` (inclusive) to `to` (exclusive); "" leaves an end open. */
export function topicRange(name: string, store: string, from: string, to: string, event: string = ""): void {
  topics.push(new TopicDeclaration(name, store, event.length > 0 ? event : name, "", from, to));
}

/** Writes the `topics` array of planck_describe's document. */
export function describeTopics(w: BsonWriter): void {
  w.startArray("topics");
  for (let i = 0; i < topics.length; i++) {
    const t = unchecked(topics[i]);
    w.startDocument(ITEM).addString("name", t.name).addString("store", t.store).addString("event", t.event);
    if (t.key.length > 0) w.addString("key", t.key);
    if (t.from.length > 0) w.addString("from", t.from);
    if (t.to.length > 0) w.addString("to", t.to);
    w.end();
  }
  w.end();
}
