/**
 * Guest stack traces in the user's source: `planck build` ends the bundle (the `planck.js`
 * section) with an inline source map — a last line `//# sourceMappingURL=data:application/json;
 * base64,<map>` holding a Source Map v3 document whose `sources` are paths relative to the
 * service directory (`service.ts`, `views/layout.ts`) or `planck:<path>` for the guest library,
 * without `sourcesContent`. QuickJS names the bundle `planck.js` in its frames
 * (`at fe (planck.js:4:112)`, line and column 1-based); `mapGuestStack` rewrites each such frame
 * to `at fe (service.ts:5:13)`. A frame that does not map, or a bundle with no map, stays as it is.
 *
 * Decoding: `mappings` is `;`-separated lines of `,`-separated segments, each 1, 4 or 5 base64
 * VLQ fields (generated column, source index, original line, original column, name index), all
 * but the generated column relative to the previous segment across lines, the generated column
 * relative within a line. Parsed maps are cached per bundle map text (MAPS_CACHED of them).
 *
 * Invariants: bad map text never throws out of `mapGuestStack` (the stack is returned unmapped).
 */

/** The marker that starts the inline map line. */
export const INLINE_MAP_PREFIX = "//# sourceMappingURL=data:application/json;base64,";
/** The file name QuickJS gives the bundle's frames (runtime.ts evaluates it under this name). */
export const BUNDLE_FILE = "planck.js";
/** Parsed maps kept (one per deployed bundle version in use). */
const MAPS_CACHED = 32;

/** One mapped position. */
interface Segment {
  column: number;
  source: number;
  line: number;
  sourceColumn: number;
}

/** A decoded source map: per generated line, segments sorted by generated column. */
export interface DecodedMap {
  sources: string[];
  lines: Segment[][];
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** Decodes the VLQ fields of one segment. @throws Error on a bad digit */
function decodeVlq(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`bad VLQ digit "${char}"`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
    value = 0;
    shift = 0;
  }
  return out;
}

/** Decodes a Source Map v3 document. @throws Error on a malformed one */
export function decodeSourceMap(json: string): DecodedMap {
  const map = JSON.parse(json) as { version?: number; sources?: string[]; mappings?: string };
  if (map.version !== 3 || !Array.isArray(map.sources) || typeof map.mappings !== "string") {
    throw new Error("not a version 3 source map");
  }
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let sourceColumn = 0;
  for (const text of map.mappings.split(";")) {
    const segments: Segment[] = [];
    let column = 0;
    for (const part of text.split(",")) {
      if (part === "") continue;
      const fields = decodeVlq(part);
      column += fields[0];
      if (fields.length < 4) continue;
      source += fields[1];
      line += fields[2];
      sourceColumn += fields[3];
      segments.push({ column, source, line, sourceColumn });
    }
    segments.sort((a, b) => a.column - b.column);
    lines.push(segments);
  }
  return { sources: map.sources, lines };
}

/** The original position of 1-based `line`:`column` in the bundle, or undefined. */
export function originalPosition(
  map: DecodedMap,
  line: number,
  column: number,
): { source: string; line: number; column: number } | undefined {
  const segments = map.lines[line - 1];
  if (segments === undefined || segments.length === 0) return undefined;
  const at = column - 1;
  let lo = 0;
  let hi = segments.length - 1;
  let found: Segment | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid].column <= at) {
      found = segments[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  found ??= segments[0];
  const source = map.sources[found.source];
  if (source === undefined) return undefined;
  return { source, line: found.line + 1, column: found.sourceColumn + 1 };
}

const cache = new Map<string, DecodedMap | null>();

/** The decoded inline map at the end of `bundle`, or null when it has none (or a bad one). */
export function bundleMap(bundle: string): DecodedMap | null {
  const start = bundle.lastIndexOf(INLINE_MAP_PREFIX);
  if (start < 0) return null;
  const encoded = bundle.slice(start + INLINE_MAP_PREFIX.length).trim();
  const cached = cache.get(encoded);
  if (cached !== undefined) return cached;
  let decoded: DecodedMap | null = null;
  try {
    decoded = decodeSourceMap(
      new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0))),
    );
  } catch {
    decoded = null;
  }
  if (cache.size >= MAPS_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(encoded, decoded);
  return decoded;
}

const FRAME = new RegExp(`${BUNDLE_FILE.replace(".", "\\.")}:(\\d+):(\\d+)`, "g");

/** `stack` with every `planck.js:L:C` replaced by the source position `bundle`'s map gives. */
export function mapGuestStack(bundle: string, stack: string): string {
  if (!stack.includes(BUNDLE_FILE)) return stack;
  const map = bundleMap(bundle);
  if (map === null) return stack;
  return stack.replace(FRAME, (whole, line: string, column: string) => {
    const at = originalPosition(map, Number(line), Number(column));
    return at === undefined ? whole : `${at.source}:${at.line}:${at.column}`;
  });
}
