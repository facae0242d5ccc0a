/**
 * The change log's unit: one committed group as the records of its document and store frames,
 * and the public event a watcher receives for a document record.
 *
 * A record's `kind` is its WAL frame kind: `insert` (the writer found no live version of the key),
 * `put` (it replaced a live version: an update), `delete`, `createStore`, `dropStore`. Index DDL
 * frames carry no change and are left out.
 */
import { decodeDocument, type Document } from "../document.ts";
import { type Key, keyFromBytes } from "../key.ts";
import { type Frame, FrameKind } from "../wal/format.ts";
import type { Group } from "../wal/reader.ts";

/** One frame of a committed group that a change stream cares about. */
export interface ChangeRecord {
  lsn: number;
  kind: FrameKind;
  storeId: number;
  key: Key;
  /** The new version (put, insert), the store name's UTF-8 bytes (createStore), else undefined. */
  value?: Uint8Array;
  /** The version replaced, when the writer read it (live tail only; never read back from the WAL). */
  before?: Uint8Array;
}

/** A committed group's records and its commit marker's LSN. */
export interface ChangeGroup {
  commitLsn: number;
  records: ChangeRecord[];
}

/** What a watcher receives for one written document. */
export interface ChangeEvent {
  /** The LSN of this write's WAL frame: resume with `since: lsn` to continue right after it. */
  lsn: number;
  /** The LSN of the commit marker of the group the write belongs to (one per transaction/batch). */
  commitLsn: number;
  op: "insert" | "update" | "delete";
  store: string;
  key: Key;
  /** The document after the write (insert, update). */
  doc?: Document;
  /** The document before the write, when the engine had it at commit time (see docs/changes.md). */
  before?: Document;
}

/** A document as of a snapshot's LSN (watch option `snapshot: true`), yielded before any change. */
export interface SnapshotEvent extends Omit<ChangeEvent, "op" | "before"> {
  op: "snapshot";
  doc: Document;
}

const OPS: Partial<Record<FrameKind, ChangeEvent["op"]>> = {
  [FrameKind.insert]: "insert",
  [FrameKind.put]: "update",
  [FrameKind.delete]: "delete",
};

/** True for the frame kinds a change group keeps. */
export function isChangeKind(kind: FrameKind): boolean {
  return OPS[kind] !== undefined || kind === FrameKind.createStore || kind === FrameKind.dropStore;
}

/** The change group of a group read back from a WAL segment (frame values are copied out). */
export function groupFromWal(group: Group): ChangeGroup {
  const records: ChangeRecord[] = [];
  for (const frame of group.frames) {
    if (!isChangeKind(frame.kind)) continue;
    records.push(recordFromFrame(frame));
  }
  return { commitLsn: group.commitLsn, records };
}

function recordFromFrame(frame: Frame): ChangeRecord {
  const hasValue = frame.kind !== FrameKind.delete && frame.kind !== FrameKind.dropStore;
  return {
    lsn: frame.lsn,
    kind: frame.kind,
    storeId: frame.storeId,
    key: keyFromBytes(frame.key),
    value: hasValue ? frame.value.slice() : undefined,
  };
}

/** Events already built, per record: every watcher of a store shares one (decoded once). */
const EVENTS = new WeakMap<ChangeRecord, ChangeEvent>();

/**
 * The event of a document record (undefined for store records). Watchers of the same record get
 * the same object, so the document is decoded once however many watch: do not mutate events.
 */
export function eventOf(record: ChangeRecord, commitLsn: number, store: string): ChangeEvent | undefined {
  const cached = EVENTS.get(record);
  if (cached !== undefined && cached.store === store && cached.commitLsn === commitLsn) return cached;
  const event = buildEvent(record, commitLsn, store);
  if (event !== undefined) EVENTS.set(record, event);
  return event;
}

function buildEvent(record: ChangeRecord, commitLsn: number, store: string): ChangeEvent | undefined {
  const op = OPS[record.kind];
  if (op === undefined) return undefined;
  const event: ChangeEvent = { lsn: record.lsn, commitLsn, op, store, key: record.key };
  if (op !== "delete" && record.value !== undefined) event.doc = decodeDocument(record.value);
  if (record.before !== undefined) event.before = decodeDocument(record.before);
  return event;
}
