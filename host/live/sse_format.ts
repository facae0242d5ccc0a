/**
 * The bytes of the app port's Server-Sent Events (docs/changes.md, "SSE format"): one event per
 * topic event, in the topic's format (htmx, Datastar, JSON), plus the stream's own control
 * blocks (opening, heartbeat, resume point lost).
 *
 * An event's `id:` line is written separately (`withId`), so that when one write matches several
 * topics of one connection only the last of its events carries the id: a reconnect in between
 * then re-sends the first instead of losing the second.
 *
 * Invariants: every block ends with a blank line; text holding line breaks becomes one `data:`
 * line per line (CR, LF and CRLF all split); no block carries a bare CR or LF inside a line.
 */
import { patchElements } from "../../framework/datastar.ts";
import { encodeTagged } from "../../framework/tagged_json.ts";
import type { ManifestTopic } from "../../protocol/abi.ts";

/** What the guest's render function returned (decoded), or `undefined` when the topic has none. */
export type Rendered = unknown;

/** One event as written for one topic: the block without its `id:` line. */
export interface TopicBlock {
  lsn: number;
  /** The block with `id: <lsn>` (what most subscribers get). */
  withId: Uint8Array;
  /** The same block without an id line (not the last event of its LSN on a connection). */
  bare: Uint8Array;
}

const encoder = new TextEncoder();

/** `data:` lines of `text` (one per line). */
export function dataLines(text: string): string {
  let out = "";
  for (const line of text.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out;
}

/** The JSON form of an event (no render function): the event itself, dates tagged. */
export function eventJson(
  event: { lsn: number; op: string; store: string; key: string; doc?: unknown },
): string {
  const value: Record<string, unknown> = { lsn: event.lsn, op: event.op, store: event.store, key: event.key };
  if (event.doc !== undefined) value.doc = event.doc;
  return encodeTagged(value);
}

/**
 * The block of one topic event without its id line, or null when the render function skipped it
 * (returned null) or returned something the format cannot carry.
 */
export function formatBody(topic: ManifestTopic, json: string, rendered: Rendered): string | null {
  if (topic.render && (rendered === null || rendered === undefined)) return null;
  if (topic.format === "datastar" && topic.render) {
    if (typeof rendered === "string") return patchElements(rendered);
    if (typeof rendered !== "object" || Array.isArray(rendered)) return null;
    const patch = rendered as {
      elements?: unknown;
      selector?: string;
      mode?: string;
      useViewTransition?: boolean;
    };
    if (patch.elements !== undefined && typeof patch.elements !== "string") return null;
    return patchElements(patch.elements as string | undefined, {
      selector: typeof patch.selector === "string" ? patch.selector : undefined,
      mode: typeof patch.mode === "string" ? patch.mode as "outer" : undefined,
      useViewTransition: patch.useViewTransition === true,
    });
  }
  let data: string;
  if (!topic.render) data = json;
  else if (topic.format === "htmx") data = typeof rendered === "string" ? rendered : encodeTagged(rendered);
  else data = encodeTagged(rendered);
  return `event: ${topic.event}\n${dataLines(data)}\n`;
}

/** Both forms of a topic event's block. */
export function topicBlock(lsn: number, body: string): TopicBlock {
  return { lsn, withId: encoder.encode(`id: ${lsn}\n${body}`), bare: encoder.encode(body) };
}

/** The first block of every stream: the reconnect delay and the position it starts from. */
export function openingBlock(retryMs: number, lsn: number): Uint8Array {
  return encoder.encode(`retry: ${retryMs}\nid: ${lsn}\n\n`);
}

/** A heartbeat: a comment, and for a live subscriber the position every event up to which it has. */
export function heartbeatBlock(lsn: number | null): Uint8Array {
  return encoder.encode(lsn === null ? ": heartbeat\n\n" : `: heartbeat\nid: ${lsn}\n\n`);
}

/** Sent when the client's Last-Event-ID is older than the WAL kept: reload, then follow from `lsn`. */
export function resumeLostBlock(requested: number, oldestLsn: number, lsn: number): Uint8Array {
  const data = JSON.stringify({
    code: "resume_point_lost",
    message: `Cannot resume after LSN ${requested}: the oldest LSN kept is ${oldestLsn}; reload the page`,
    oldestLsn,
    lsn,
  });
  return encoder.encode(`event: resume_point_lost\nid: ${lsn}\ndata: ${data}\n\n`);
}
