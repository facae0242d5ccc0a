/**
 * POSIX ustar archives (IEEE Std 1003.1, "pax" chapter, ustar interchange format), written and read
 * byte by byte here: a backup as one `.tar` file any tar reads (docs/operations.md, "Tar form").
 *
 * Each file is a 512-byte header then its bytes, padded with zeros to a multiple of 512; the
 * archive ends with two zero blocks, padded to a 10240-byte record. Header fields (offset, size):
 * name 0/100, mode 100/8, uid 108/8, gid 116/8, size 124/12, mtime 136/12, chksum 148/8,
 * typeflag 156/1 ("0" a regular file, "5" a directory), linkname 157/100, magic 257/6 "ustar\0",
 * version 263/2 "00", uname 265/32, gname 297/32, devmajor 329/8, devminor 337/8, prefix 345/155.
 * Numbers are octal ASCII, zero-padded, NUL-terminated; chksum is the sum of the header's bytes
 * with chksum counted as eight spaces, written as six octal digits, NUL, space. A path longer than
 * 100 bytes is split at a "/" into prefix and name.
 *
 * Invariants: every header read is checked (magic, checksum, size, a safe relative path) and a
 * failure names the entry and its byte offset; extraction writes only inside the target directory.
 */
import { CorruptionError } from "../../engine/disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";

/** Tar block size and the record size the archive is padded to. */
export const TAR_BLOCK_BYTES = 512;
export const TAR_RECORD_BYTES = 20 * TAR_BLOCK_BYTES;
/** Largest file a ustar size field holds (11 octal digits). */
export const TAR_FILE_BYTES_MAX = 8 ** 11 - 1;
/** Bytes copied per read or write. */
const TAR_CHUNK_BYTES = 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** True when a backup target names a tar file rather than a directory. */
export function isTarPath(path: string): boolean {
  return path.endsWith(".tar");
}

/** One ustar header for a regular file. @throws PlanckError `invalid_argument` for a path or size ustar cannot hold */
export function tarHeader(path: string, size: number, mtimeSeconds: number): Uint8Array {
  if (size > TAR_FILE_BYTES_MAX) {
    throw new PlanckError("invalid_argument", `"${path}" is too large for ustar (${size} bytes)`, {
      limit: "TAR_FILE_BYTES_MAX",
    });
  }
  const { prefix, name } = splitPath(path);
  const header = new Uint8Array(TAR_BLOCK_BYTES);
  header.set(encoder.encode(name), 0);
  header.set(octal(0o644, 8), 100);
  header.set(octal(0, 8), 108);
  header.set(octal(0, 8), 116);
  header.set(octal(size, 12), 124);
  header.set(octal(mtimeSeconds, 12), 136);
  header[156] = 0x30; // "0": a regular file
  header.set(encoder.encode("ustar\0"), 257);
  header.set(encoder.encode("00"), 263);
  header.set(encoder.encode("planck"), 265);
  header.set(encoder.encode("planck"), 297);
  header.set(encoder.encode(prefix), 345);
  header.set(encoder.encode("        "), 148);
  const sum = header.reduce((total, byte) => total + byte, 0);
  header.set(encoder.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return header;
}

/** An entry read from an archive. */
export interface TarEntry {
  path: string;
  bytes: number;
}

/**
 * Extracts the ustar archive `source` into the directory `dir` (regular files and directories).
 * @throws CorruptionError naming the entry and offset of a bad header or a short archive
 */
export async function extractTar(source: string, dir: string): Promise<TarEntry[]> {
  using file = await Deno.open(source);
  const entries: TarEntry[] = [];
  const header = new Uint8Array(TAR_BLOCK_BYTES);
  const buffer = new Uint8Array(TAR_CHUNK_BYTES);
  let offset = 0;
  while (true) {
    await readExact(file, header, source, offset, "a header");
    if (header.every((byte) => byte === 0)) return entries; // the end-of-archive blocks
    const entry = parseHeader(header, source, offset);
    offset += TAR_BLOCK_BYTES;
    const target = `${dir}/${entry.path}`;
    const slash = entry.path.lastIndexOf("/");
    if (entry.directory) {
      await Deno.mkdir(target, { recursive: true });
      continue;
    }
    if (slash > 0) await Deno.mkdir(`${dir}/${entry.path.slice(0, slash)}`, { recursive: true });
    using out = await Deno.open(target, { write: true, createNew: true });
    const total = entry.bytes + padding(entry.bytes);
    for (let done = 0; done < total;) {
      const part = buffer.subarray(0, Math.min(buffer.length, total - done));
      await readExact(file, part, source, offset + done, `the content of "${entry.path}"`);
      const keep = Math.max(0, Math.min(part.length, entry.bytes - done));
      for (let at = 0; at < keep;) at += await out.write(part.subarray(at, keep));
      done += part.length;
    }
    offset += total;
    entries.push({ path: entry.path, bytes: entry.bytes });
  }
}

function parseHeader(header: Uint8Array, source: string, offset: number) {
  const where = { file: source, offset };
  const name = text(header, 0, 100);
  if (text(header, 257, 6) !== "ustar") {
    throw new CorruptionError(
      `Tar header at byte ${offset} of "${source}" is not ustar (entry "${name}")`,
      where,
    );
  }
  const stored = parseOctal(header, 148, 8);
  const copy = header.slice();
  copy.set(encoder.encode("        "), 148);
  const sum = copy.reduce((total, byte) => total + byte, 0);
  if (stored !== sum) {
    throw new CorruptionError(
      `Tar header of "${name}" at byte ${offset} of "${source}" is damaged: checksum mismatch`,
      where,
    );
  }
  const prefix = text(header, 345, 155);
  const path = (prefix === "" ? name : `${prefix}/${name}`).replace(/\/$/, "");
  const type = String.fromCharCode(header[156]);
  const bytes = parseOctal(header, 124, 12);
  if (!safeRelative(path) || !["0", "\0", "5"].includes(type) || bytes === undefined) {
    throw new CorruptionError(
      `Tar entry "${path}" at byte ${offset} of "${source}" is not a plain file`,
      where,
    );
  }
  return { path, bytes, directory: type === "5" };
}

async function readExact(file: Deno.FsFile, into: Uint8Array, source: string, offset: number, what: string) {
  let at = 0;
  while (at < into.length) {
    const n = await file.read(into.subarray(at));
    if (n === null) {
      throw new CorruptionError(`Tar archive "${source}" ends inside ${what} (byte ${offset + at})`, {
        file: source,
        offset: offset + at,
      });
    }
    at += n;
  }
}

function splitPath(path: string): { prefix: string; name: string } {
  const bytes = encoder.encode(path).length;
  if (bytes <= 100) return { prefix: "", name: path };
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
    if (encoder.encode(path.slice(0, i)).length <= 155 && encoder.encode(path.slice(i + 1)).length <= 100) {
      return { prefix: path.slice(0, i), name: path.slice(i + 1) };
    }
  }
  throw new PlanckError("invalid_argument", `Path "${path}" is too long for ustar`, { field: "path" });
}

function octal(value: number, width: number): Uint8Array {
  return encoder.encode(value.toString(8).padStart(width - 1, "0") + "\0");
}

function parseOctal(header: Uint8Array, at: number, width: number): number | undefined {
  const digits = text(header, at, width).trim();
  return /^[0-7]+$/.test(digits) ? parseInt(digits, 8) : undefined;
}

function text(header: Uint8Array, at: number, width: number): string {
  const field = header.subarray(at, at + width);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function padding(bytes: number): number {
  return (TAR_BLOCK_BYTES - bytes % TAR_BLOCK_BYTES) % TAR_BLOCK_BYTES;
}

function safeRelative(path: string): boolean {
  return path !== "" && !path.startsWith("/") &&
    !path.split("/").some((part) => part === ".." || part === "" || part === ".");
}
