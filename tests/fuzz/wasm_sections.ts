/**
 * A small WebAssembly section editor for fuzzing uploads: split a module into sections (id, payload),
 * put them back together, and write LEB128 numbers and names — so a case can lie about a section's size,
 * replace the import or memory section, duplicate or drop a section, or add custom sections.
 */

export interface Section {
  id: number;
  payload: Uint8Array;
}

export const WASM_HEADER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function readUleb(bytes: Uint8Array, at: number): [number, number] {
  let result = 0, shift = 1;
  for (;;) {
    const byte = bytes[at++];
    result += (byte & 0x7f) * shift;
    if ((byte & 0x80) === 0) return [result, at];
    shift *= 128;
  }
}

export function name(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [...uleb(bytes.length), ...bytes];
}

/** The sections of a well-formed module. */
export function sections(module: Uint8Array): Section[] {
  const out: Section[] = [];
  let at = 8;
  while (at < module.length) {
    const id = module[at++];
    const [size, start] = readUleb(module, at);
    out.push({ id, payload: module.subarray(start, start + size) });
    at = start + size;
  }
  return out;
}

/** A module from sections; `sizeOf` may lie about a section's size. */
export function assemble(
  parts: Section[],
  sizeOf: (s: Section, i: number) => number = (s) => s.payload.length,
): Uint8Array {
  const heads = parts.map((s, i) => new Uint8Array([s.id, ...uleb(sizeOf(s, i))]));
  const total = WASM_HEADER.length + parts.reduce((n, s, i) => n + heads[i].length + s.payload.length, 0);
  const out = new Uint8Array(total);
  out.set(WASM_HEADER);
  let at = WASM_HEADER.length;
  parts.forEach((s, i) => {
    out.set(heads[i], at);
    at += heads[i].length;
    out.set(s.payload, at);
    at += s.payload.length;
  });
  return out;
}

/** A custom section (id 0) named `label` carrying `body`. */
export function customSection(label: string, body: Uint8Array): Section {
  // Copied, not spread: a body of SERVICE_BYTES_MAX spread into an array took seconds per case.
  const head = name(label);
  const payload = new Uint8Array(head.length + body.length);
  payload.set(head);
  payload.set(body, head.length);
  return { id: 0, payload };
}

/** The name of a custom section. */
export function customName(s: Section): string | undefined {
  if (s.id !== 0) return undefined;
  const [length, at] = readUleb(s.payload, 0);
  return new TextDecoder().decode(s.payload.subarray(at, at + length));
}
