/**
 * Appending groups the primary already encoded (replication, docs/replication.md): a run of whole
 * committed groups that the replica checked (engine/wal/group_bytes.ts) goes into this database's
 * WAL as the same bytes — one write per chunk of groups that fits the active segment — and each
 * group is then applied through the same code as commit and recovery (apply_group.ts) and recorded
 * for change streams. The memtable may freeze only once the whole run is applied (a freeze
 * checkpoints at the WAL's last LSN, so it must not fall between a chunk's write and its apply).
 *
 * Invariants: the first group follows the WAL's last LSN; a chunk is applied only after the WAL
 * holds it; a chunk never crosses a segment boundary (rotation happens between chunks, and a single
 * group larger than a segment gets one alone, as in Wal.append); a failed write leaves the chunks
 * before it written and applied and nothing of the rest.
 */
import { assert } from "../assert.ts";
import { keyFromBytes } from "../key.ts";
import { type Frame, FRAME_HEADER_BYTES, FrameKind, SEGMENT_HEADER_BYTES } from "../wal/format.ts";
import type { Group } from "../wal/reader.ts";
import type { Wal } from "../wal/wal.ts";
import type { DatabaseState } from "./state.ts";
import { applyGroupAt, freezeWhenFull } from "./writes.ts";

/** Bytes one group takes in the WAL: its frames and its commit marker. */
export function groupBytes(group: Group): number {
  let size = FRAME_HEADER_BYTES; // the commit marker
  for (const frame of group.frames) size += FRAME_HEADER_BYTES + frame.value.length;
  return size;
}

/**
 * Appends and applies `groups`, whose encoded frames are exactly `bytes` (the first frame at LSN
 * wal.lastLsn + 1). Returns the last LSN.
 */
export function appendEncodedGroups(s: DatabaseState, bytes: Uint8Array, groups: readonly Group[]): number {
  assert(groups.length > 0, "appendEncodedGroups: at least one group");
  assert(
    groups[0].commitLsn - groups[0].frames.length === s.wal.lastLsn + 1,
    "appendEncodedGroups: the run follows the last LSN",
  );
  let first = 0; // the chunk's first group
  let start = 0; // and its offset in `bytes`
  let room = 0; // bytes the chunk may take in its segment
  let at = 0;
  for (let i = 0; i < groups.length; i++) {
    const size = groupBytes(groups[i]);
    if (i === first) room = roomFor(s.wal, size);
    else if (at + size - start > room) {
      writeChunk(s, bytes.subarray(start, at), groups, first, i);
      first = i;
      start = at;
      room = roomFor(s.wal, size);
    }
    at += size;
  }
  assert(at === bytes.length, "appendEncodedGroups: the groups fill the run exactly");
  writeChunk(s, bytes.subarray(start, at), groups, first, groups.length);
  freezeWhenFull(s);
  return s.wal.lastLsn;
}

/** Bytes a chunk starting with a group of `size` bytes may take: what is left of its segment. */
function roomFor(wal: Wal, size: number): number {
  const used = wal.activeBytes;
  const rotates = used + size > wal.segmentBytes && used > SEGMENT_HEADER_BYTES;
  return wal.segmentBytes - (rotates ? SEGMENT_HEADER_BYTES : used);
}

/** Writes groups [from, to) (their bytes are `chunk`), then applies and records each. */
function writeChunk(
  s: DatabaseState,
  chunk: Uint8Array,
  groups: readonly Group[],
  from: number,
  to: number,
): void {
  const { lastLsn } = s.wal.appendEncoded(chunk, groups[to - 1].commitLsn);
  assert(lastLsn === groups[to - 1].commitLsn, "appendEncodedGroups: the chunk ends at its last commit");
  for (let i = from; i < to; i++) {
    const { frames, commitLsn } = groups[i];
    const firstLsn = commitLsn - frames.length;
    // The key in hex once, for the apply and the change log both (each would decode it again).
    for (const frame of frames as (Frame & { hexKey?: string })[]) {
      if (
        frame.kind === FrameKind.put || frame.kind === FrameKind.insert || frame.kind === FrameKind.delete
      ) {
        frame.hexKey = keyFromBytes(frame.key);
      }
    }
    applyGroupAt(s, frames, firstLsn);
    s.changes.recordFrames(frames, firstLsn, commitLsn);
  }
}
