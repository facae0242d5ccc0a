/**
 * Datastar helpers (Datastar 1.0 SSE events, the SDK's names): `patchElements`, `removeElements`,
 * `patchSignals`, `removeSignals`, `executeScript` each return one Server-Sent Event as text, and
 * `datastar(c, events)` answers a request with them as `text/event-stream`; `readSignals(c)` reads
 * the signals a Datastar page sends (GET: the `datastar` query parameter; other methods: the JSON
 * body). The bytes of every event are listed in docs/changes.md ("Datastar events"); the SDK's
 * golden suite checks them (tests/framework/datastar_conformance_test.ts).
 *
 * Invariants: every event ends with a blank line; a value holding line breaks becomes one `data:`
 * line per line, each with the same key; defaults (mode `outer`, retry 1000 ms, no view transition,
 * onlyIfMissing false, autoRemove true) are not written.
 */
import type { Context, Reply } from "./context.ts";
import { HttpError } from "./context.ts";
import { Html } from "./html.ts";

/** The event names of Datastar 1.0. */
export const DATASTAR_PATCH_ELEMENTS = "datastar-patch-elements";
export const DATASTAR_PATCH_SIGNALS = "datastar-patch-signals";
/** Datastar's default reconnect delay: a `retry:` line is written only for another value. */
export const DATASTAR_RETRY_MS_DEFAULT = 1000;

/** Options every event takes. */
export interface EventOptions {
  /** The SSE `id:` line. */
  eventId?: string;
  /** The SSE `retry:` line, in milliseconds (omitted when 1000). */
  retryDuration?: number;
}

/** How patched elements are placed (Datastar 1.0 modes). */
export type PatchMode = "outer" | "inner" | "replace" | "prepend" | "append" | "before" | "after" | "remove";

/** Options of `patchElements`. */
export interface PatchElementsOptions extends EventOptions {
  selector?: string;
  /** Default "outer" (morph by id). */
  mode?: PatchMode;
  useViewTransition?: boolean;
}

/** Options of `patchSignals`. */
export interface PatchSignalsOptions extends EventOptions {
  onlyIfMissing?: boolean;
}

/** Options of `executeScript`. */
export interface ExecuteScriptOptions extends EventOptions {
  /** Remove the script element once it ran (default true). */
  autoRemove?: boolean;
  /** Attributes of the `<script>` element, written in this order. */
  attributes?: Record<string, string>;
}

function lines(key: string, value: string): string {
  let out = "";
  for (const line of value.split(/\r\n|\r|\n/)) out += `data: ${key} ${line}\n`;
  return out;
}

function head(event: string, options: EventOptions): string {
  let out = `event: ${event}\n`;
  if (options.eventId !== undefined && options.eventId !== "") out += `id: ${options.eventId}\n`;
  const retry = options.retryDuration;
  if (retry !== undefined && retry !== DATASTAR_RETRY_MS_DEFAULT) out += `retry: ${retry}\n`;
  return out;
}

/** A `datastar-patch-elements` event. */
export function patchElements(
  elements: string | Html | undefined,
  options: PatchElementsOptions = {},
): string {
  let out = head(DATASTAR_PATCH_ELEMENTS, options);
  if (options.selector !== undefined && options.selector !== "") {
    out += `data: selector ${options.selector}\n`;
  }
  if (options.mode !== undefined && options.mode !== "outer") out += `data: mode ${options.mode}\n`;
  if (options.useViewTransition === true) out += "data: useViewTransition true\n";
  const text = elements instanceof Html ? elements.value : elements;
  if (text !== undefined && text !== "") out += lines("elements", text);
  return out + "\n";
}

/** A `datastar-patch-elements` event that removes the elements `selector` names. */
export function removeElements(
  selector: string,
  options: EventOptions & { useViewTransition?: boolean } = {},
): string {
  return patchElements(undefined, { ...options, selector, mode: "remove" });
}

/** A `datastar-patch-signals` event: an object (written as JSON) or JSON text as it is. */
export function patchSignals(
  signals: Record<string, unknown> | string,
  options: PatchSignalsOptions = {},
): string {
  let out = head(DATASTAR_PATCH_SIGNALS, options);
  if (options.onlyIfMissing === true) out += "data: onlyIfMissing true\n";
  return out + lines("signals", typeof signals === "string" ? signals : JSON.stringify(signals)) + "\n";
}

/** A `datastar-patch-signals` event setting each dotted path to null (Datastar removes them). */
export function removeSignals(paths: string[], options: EventOptions = {}): string {
  const signals: Record<string, unknown> = {};
  for (const path of paths) {
    const parts = path.split(".");
    let node = signals;
    for (const part of parts.slice(0, -1)) {
      if (node[part] === null || typeof node[part] !== "object") node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = null;
  }
  return patchSignals(signals, options);
}

function attributeValue(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
}

/** A script appended to the body (a `datastar-patch-elements` event with mode append, selector body). */
export function executeScript(script: string, options: ExecuteScriptOptions = {}): string {
  let attributes = "";
  for (const [name, value] of Object.entries(options.attributes ?? {})) {
    attributes += ` ${name}="${attributeValue(value)}"`;
  }
  if (options.autoRemove !== false) attributes += ' data-effect="el.remove()"';
  const elements = `<script${attributes}>${script}</script>`;
  return patchElements(elements, { ...options, selector: "body", mode: "append" });
}

/**
 * The signals a Datastar request carries: GET (and DELETE) send them as JSON in the `datastar`
 * query parameter, other methods as the JSON body. {} when there are none.
 * @throws HttpError 400 when they are not a JSON object
 */
export function readSignals(c: Context): Record<string, unknown> {
  const text = c.req.method === "GET" || c.req.method === "DELETE" || c.req.method === "HEAD"
    ? c.req.query("datastar") ?? ""
    : c.req.text();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `Invalid Datastar signals: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "Invalid Datastar signals: expected a JSON object");
  }
  return value as Record<string, unknown>;
}

/** A reply streaming `events` (from the helpers above) as `text/event-stream`. */
export function datastar(c: Context, events: string[]): Reply {
  const reply = c.text(events.join(""));
  return {
    ...reply,
    headers: [
      ...reply.headers.filter(([name]) => name.toLowerCase() !== "content-type"),
      ["content-type", "text/event-stream"],
      ["cache-control", "no-cache"],
    ],
  };
}
