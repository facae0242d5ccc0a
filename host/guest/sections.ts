/**
 * Wasm custom sections: appending one to a module and reading every one back, by walking the
 * section headers (no compilation, so a bad upload costs nothing).
 *
 * Invariants: appending never changes the bytes before the new section; reading rejects a module
 * whose header or section lengths are malformed with PlanckError `invalid_argument`.
 */
import { PlanckError } from "../../protocol/errors.ts";

const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const CUSTOM_SECTION_ID = 0;

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function readUleb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 5; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if ((bytes[i] & 0x80) === 0) return [value, i + 1];
    scale *= 128;
  }
  throw new PlanckError("invalid_argument", `Invalid wasm module: bad length at offset ${at}`, {
    offset: at,
  });
}

/** `module` with a custom section `name` holding `payload` appended. */
export function appendCustomSection(module: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const content = [...uleb(nameBytes.length), ...nameBytes];
  const size = content.length + payload.length;
  const head = Uint8Array.from([CUSTOM_SECTION_ID, ...uleb(size), ...content]);
  const out = new Uint8Array(module.length + head.length + payload.length);
  out.set(module, 0);
  out.set(head, module.length);
  out.set(payload, module.length + head.length);
  return out;
}

/** One custom section: its name, payload and where the section starts in the module. */
export interface CustomSection {
  name: string;
  payload: Uint8Array;
  offset: number;
}

/** Every custom section of `module`, in order. @throws PlanckError `invalid_argument` */
export function readCustomSections(module: Uint8Array): CustomSection[] {
  if (module.length < 8 || WASM_HEADER.some((b, i) => module[i] !== b)) {
    throw new PlanckError("invalid_argument", "Invalid wasm module: missing the \\0asm version 1 header");
  }
  const sections: CustomSection[] = [];
  let at = 8;
  while (at < module.length) {
    const offset = at;
    const id = module[at];
    const [size, start] = readUleb(module, at + 1);
    const end = start + size;
    if (end > module.length) {
      throw new PlanckError(
        "invalid_argument",
        `Invalid wasm module: section at offset ${offset} runs past the end`,
        { offset },
      );
    }
    if (id === CUSTOM_SECTION_ID) {
      const [nameLength, nameStart] = readUleb(module, start);
      const name = new TextDecoder().decode(module.subarray(nameStart, nameStart + nameLength));
      sections.push({ name, payload: module.subarray(nameStart + nameLength, end), offset });
    }
    at = end;
  }
  return sections;
}
