/**
 * Page I/O for the B+tree file (docs/formats/btree.md): fixed-size pages, the common page header with
 * its CRC32, and the two alternating meta pages.
 *
 * Owns: reading and writing whole pages at `page * PAGE_BYTES`, sealing (page number + checksum) and
 * verifying pages, encoding/decoding meta pages and choosing the meta to open.
 *
 * Invariants:
 * - every page read from disk is verified (checksum, then its own page number) before use; a bad page
 *   is a CorruptionError naming the file and the page's byte offset;
 * - every page is sealed and re-verified just before it is written (paired check);
 * - writes never happen here on their own: the caller (btree.ts) orders writes and syncs.
 */
import { crc32 } from "node:zlib";
import { assert } from "../assert.ts";
import { CorruptionError, diskError } from "../disk_errors.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { type DbFile, DISK, type FileSystem } from "../fs.ts";
import {
  BTREE_FORMAT_VERSION,
  BTREE_FORMAT_VERSION_MIN,
  BTREE_MAGIC,
  BTREE_USER_META_BYTES_MAX,
  HEADER_CHECKSUM_OFFSET,
  HEADER_PAGE_OFFSET,
  HEADER_TXN_OFFSET,
  HEADER_TYPE_OFFSET,
  META_ENTRIES_OFFSET,
  META_FREE_COUNT_OFFSET,
  META_FREE_HEAD_OFFSET,
  META_HEIGHT_OFFSET,
  META_MAGIC_OFFSET,
  META_PAGE_BYTES_OFFSET,
  META_PAGE_COUNT,
  META_PAGE_COUNT_OFFSET,
  META_ROOT_OFFSET,
  META_USER_META_LENGTH_OFFSET,
  META_USER_META_OFFSET,
  META_VERSION_OFFSET,
  PAGE_BYTES,
  PAGE_TYPE_META,
} from "./format.ts";

/** The decoded content of a meta page: one committed version of the tree. */
export interface MetaPage {
  txn: number;
  root: number;
  pageCount: number;
  freeHead: number;
  freeCount: number;
  height: number;
  entries: number;
  userMeta: Uint8Array;
}

/** The CRC32 a page's header should hold: over every byte after the checksum field. */
export function pageChecksum(page: Uint8Array): number {
  return crc32(page.subarray(HEADER_CHECKSUM_OFFSET + 4));
}

function view(page: Uint8Array): DataView {
  return new DataView(page.buffer, page.byteOffset, page.byteLength);
}

/** Writes a u64 (a safe integer) little-endian. */
export function writeU64(dv: DataView, offset: number, value: number): void {
  dv.setUint32(offset, value % 0x1_0000_0000, true);
  dv.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}

/** Reads a little-endian u64 as a number (exact below 2^53). */
export function readU64(dv: DataView, offset: number): number {
  return dv.getUint32(offset, true) + dv.getUint32(offset + 4, true) * 0x1_0000_0000;
}

/** Stamps a page's number, txn and checksum, then re-verifies it (the write half of the paired check). */
export function sealPage(page: Uint8Array, pageNo: number, txn: number): void {
  assert(page.length === PAGE_BYTES, "a sealed page is one page long");
  const dv = view(page);
  dv.setUint32(HEADER_PAGE_OFFSET, pageNo, true);
  writeU64(dv, HEADER_TXN_OFFSET, txn);
  dv.setUint32(HEADER_CHECKSUM_OFFSET, pageChecksum(page), true);
  assert(dv.getUint32(HEADER_CHECKSUM_OFFSET, true) === pageChecksum(page), "sealed checksum verifies");
  assert(dv.getUint32(HEADER_PAGE_OFFSET, true) === pageNo, "sealed page number verifies");
}

/** Why a page fails verification, or undefined when it is valid. */
export function pageFault(page: Uint8Array, pageNo: number): string | undefined {
  const dv = view(page);
  if (dv.getUint32(HEADER_CHECKSUM_OFFSET, true) !== pageChecksum(page)) return "checksum mismatch";
  const stored = dv.getUint32(HEADER_PAGE_OFFSET, true);
  if (stored !== pageNo) return `misdirected page (header names page ${stored})`;
  return undefined;
}

/** Random-access page I/O on one file. Reads are synchronous; only `sync` is asynchronous. */
export class PageFile {
  readonly path: string;
  #file: DbFile;

  private constructor(path: string, file: DbFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Opens (and with `create`, creates) a page file.
   * @throws PlanckError `not_found` when the file is missing and `create` is false
   */
  static open(path: string, create: boolean, fs: FileSystem = DISK): PageFile {
    try {
      return new PageFile(path, fs.openSync(path, { read: true, write: true, create }));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new PlanckError("not_found", `Cannot open B+tree "${path}": no such file`, { file: path });
      }
      throw diskError(error, path, "open");
    }
  }

  /** Current length of the file in bytes. */
  byteLength(): number {
    return this.#file.statSync().size;
  }

  /** Reads up to one page; returns the bytes read (short at end of file). */
  readRaw(pageNo: number, target: Uint8Array = new Uint8Array(PAGE_BYTES)): number {
    this.#file.seekSync(pageNo * PAGE_BYTES, Deno.SeekMode.Start);
    let done = 0;
    while (done < PAGE_BYTES) {
      const n = this.#file.readSync(target.subarray(done));
      if (n === null || n === 0) break;
      done += n;
    }
    return done;
  }

  /**
   * Reads one page and verifies its checksum and page number.
   * @throws CorruptionError naming the file and the page's byte offset
   */
  readPage(pageNo: number): Uint8Array {
    const page = new Uint8Array(PAGE_BYTES);
    const n = this.readRaw(pageNo, page);
    const offset = pageNo * PAGE_BYTES;
    if (n < PAGE_BYTES) {
      throw new CorruptionError(
        `Cannot read B+tree page ${pageNo} of "${this.path}": file ends inside the page at offset ${offset}`,
        { file: this.path, offset },
      );
    }
    const fault = pageFault(page, pageNo);
    if (fault !== undefined) {
      throw new CorruptionError(
        `Cannot read B+tree page ${pageNo} of "${this.path}": ${fault} at offset ${offset}`,
        { file: this.path, offset },
      );
    }
    return page;
  }

  /** Writes whole sealed pages starting at `firstPage` (synchronous, not yet durable). */
  writePages(firstPage: number, bytes: Uint8Array): void {
    assert(bytes.length % PAGE_BYTES === 0, "writes are whole pages");
    for (let at = 0; at < bytes.length; at += PAGE_BYTES) {
      assert(
        pageFault(bytes.subarray(at, at + PAGE_BYTES), firstPage + at / PAGE_BYTES) === undefined,
        "sealed",
      );
    }
    try {
      this.#file.seekSync(firstPage * PAGE_BYTES, Deno.SeekMode.Start);
      let done = 0;
      while (done < bytes.length) done += this.#file.writeSync(bytes.subarray(done));
    } catch (error) {
      throw diskError(error, this.path, "write");
    }
  }

  /** fdatasync: every written page is durable when this resolves. */
  async sync(): Promise<void> {
    try {
      await this.#file.syncData();
    } catch (error) {
      throw diskError(error, this.path, "sync");
    }
  }

  /** Synchronous fdatasync, for file creation inside a synchronous open. */
  syncNow(): void {
    try {
      this.#file.syncDataSync();
    } catch (error) {
      throw diskError(error, this.path, "sync");
    }
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/** Encodes and seals the meta page for `meta` into slot `meta.txn % 2`. */
export function encodeMeta(meta: MetaPage): Uint8Array {
  assert(meta.userMeta.length <= BTREE_USER_META_BYTES_MAX, "user meta was validated");
  const page = new Uint8Array(PAGE_BYTES);
  const dv = view(page);
  page[HEADER_TYPE_OFFSET] = PAGE_TYPE_META;
  page.set(new TextEncoder().encode(BTREE_MAGIC), META_MAGIC_OFFSET);
  dv.setUint32(META_VERSION_OFFSET, BTREE_FORMAT_VERSION, true);
  dv.setUint32(META_PAGE_BYTES_OFFSET, PAGE_BYTES, true);
  dv.setUint32(META_ROOT_OFFSET, meta.root, true);
  dv.setUint32(META_PAGE_COUNT_OFFSET, meta.pageCount, true);
  dv.setUint32(META_FREE_HEAD_OFFSET, meta.freeHead, true);
  dv.setUint32(META_FREE_COUNT_OFFSET, meta.freeCount, true);
  dv.setUint32(META_HEIGHT_OFFSET, meta.height, true);
  writeU64(dv, META_ENTRIES_OFFSET, meta.entries);
  dv.setUint16(META_USER_META_LENGTH_OFFSET, meta.userMeta.length, true);
  page.set(meta.userMeta, META_USER_META_OFFSET);
  sealPage(page, meta.txn % META_PAGE_COUNT, meta.txn);
  return page;
}

/** A meta slot as found on disk. */
export type MetaSlot =
  | { state: "valid"; meta: MetaPage }
  | { state: "zero" } // never written (absent, or all zero bytes)
  | { state: "invalid"; reason: string } // torn or corrupt
  | { state: "newer"; version: number } // valid checksum, format newer than this code
  | { state: "older"; version: number }; // valid checksum, format older than this code reads

/** Decodes meta slot `slot` from its raw bytes (`length` bytes were present in the file). */
export function decodeMeta(page: Uint8Array, length: number, slot: number): MetaSlot {
  if (page.subarray(0, length).every((b) => b === 0)) return { state: "zero" };
  if (length < PAGE_BYTES) return { state: "invalid", reason: "short page" };
  const fault = pageFault(page, slot);
  if (fault !== undefined) return { state: "invalid", reason: fault };
  const dv = view(page);
  const magic = new TextDecoder().decode(page.subarray(META_MAGIC_OFFSET, META_MAGIC_OFFSET + 8));
  if (page[HEADER_TYPE_OFFSET] !== PAGE_TYPE_META || magic !== BTREE_MAGIC) {
    return { state: "invalid", reason: "not a B+tree meta page" };
  }
  const version = dv.getUint32(META_VERSION_OFFSET, true);
  if (version > BTREE_FORMAT_VERSION) return { state: "newer", version };
  if (version < BTREE_FORMAT_VERSION_MIN) return { state: "older", version };
  if (dv.getUint32(META_PAGE_BYTES_OFFSET, true) !== PAGE_BYTES) {
    return { state: "invalid", reason: "page size" };
  }
  const userMetaLength = dv.getUint16(META_USER_META_LENGTH_OFFSET, true);
  if (userMetaLength > BTREE_USER_META_BYTES_MAX) return { state: "invalid", reason: "user meta length" };
  const meta: MetaPage = {
    txn: readU64(dv, HEADER_TXN_OFFSET),
    root: dv.getUint32(META_ROOT_OFFSET, true),
    pageCount: dv.getUint32(META_PAGE_COUNT_OFFSET, true),
    freeHead: dv.getUint32(META_FREE_HEAD_OFFSET, true),
    freeCount: dv.getUint32(META_FREE_COUNT_OFFSET, true),
    height: dv.getUint32(META_HEIGHT_OFFSET, true),
    entries: readU64(dv, META_ENTRIES_OFFSET),
    userMeta: page.slice(META_USER_META_OFFSET, META_USER_META_OFFSET + userMetaLength),
  };
  if (meta.txn % META_PAGE_COUNT !== slot) return { state: "invalid", reason: "txn does not match slot" };
  return { state: "valid", meta };
}

/**
 * Applies the validity rule: the valid meta with the highest txn wins. Returns undefined when the file
 * never completed creation (slot 1 never written and slot 0 not valid), so the caller re-initializes.
 * @throws CorruptionError when no meta is valid in a file that was committed to
 * @throws PlanckError `invalid_argument` when the file has a newer format version
 */
export function chooseMeta(slots: MetaSlot[], path: string): MetaPage | undefined {
  for (const slot of slots) {
    if (slot.state === "newer") {
      throw new PlanckError(
        "invalid_argument",
        `Cannot open B+tree "${path}": format version ${slot.version} is newer than supported ${BTREE_FORMAT_VERSION}`,
        { file: path },
      );
    }
    if (slot.state === "older") {
      throw new PlanckError(
        "invalid_argument",
        `Cannot open B+tree "${path}": format version ${slot.version} is older than the oldest supported ` +
          `(${BTREE_FORMAT_VERSION_MIN}); export the data with the release that wrote it`,
        { file: path },
      );
    }
  }
  let best: MetaPage | undefined;
  for (const slot of slots) {
    if (slot.state === "valid" && (best === undefined || slot.meta.txn > best.txn)) best = slot.meta;
  }
  if (best !== undefined) return best;
  if (slots[1].state === "zero") return undefined; // creation never completed: nothing was committed
  const slot = slots[0].state === "invalid" ? 0 : 1;
  const reason = slots.map((s, i) => `page ${i}: ${s.state === "invalid" ? s.reason : s.state}`).join(", ");
  throw new CorruptionError(`Cannot open B+tree "${path}": no valid meta page (${reason})`, {
    file: path,
    offset: slot * PAGE_BYTES,
  });
}
