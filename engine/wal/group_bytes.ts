/**
 * Runs of committed groups as bytes: the WAL's own frames (engine/wal/format.ts), back to back, each
 * group ending with its commit marker — what replication ships and what a replica checks before it
 * applies anything (docs/replication.md, "Frames on the wire").
 *
 * Invariants: decoding accepts only frames with a valid CRC, consecutive LSNs from the expected one,
 * and a run that ends with a commit marker; anything else is a `corruption` error naming the offset.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { decodeFrame, encodeFrame, type Frame, FrameKind } from "./format.ts";
import type { Group } from "./reader.ts";

/** Encodes committed groups (frames carrying their LSNs) into one run of frames. */
export function encodeGroups(groups: readonly Group[]): Uint8Array {
  let size = 0;
  for (const group of groups) {
    size += 40;
    for (const frame of group.frames) size += 40 + frame.value.length;
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const group of groups) {
    for (const frame of group.frames) at = encodeFrame(bytes, at, frame.lsn, frame, view);
    at = encodeFrame(bytes, at, group.commitLsn, { kind: FrameKind.commit, storeId: 0 }, view);
  }
  return bytes;
}

/**
 * Decodes a run of frames whose first LSN must be `firstLsn` into committed groups.
 * @throws PlanckError `corruption` naming the offset of the first bad frame
 */
export function decodeGroups(bytes: Uint8Array, firstLsn: number): Group[] {
  const groups: Group[] = [];
  let pending: Frame[] = [];
  let next = firstLsn;
  let at = 0;
  while (at < bytes.length) {
    const frame = decodeFrame(bytes, at, bytes.length);
    if (typeof frame === "string" || frame.lsn !== next) {
      const why = typeof frame === "string" ? frame : `LSN ${frame.lsn}, expected ${next}`;
      throw new PlanckError("corruption", `Bad replicated frame at offset ${at}: ${why}`, {
        offset: at,
        lsn: BigInt(next),
      });
    }
    next++;
    at += 40 + frame.value.length;
    if (frame.kind === FrameKind.commit) {
      groups.push({ frames: pending, commitLsn: frame.lsn });
      pending = [];
    } else {
      pending.push(frame);
    }
  }
  if (pending.length > 0) {
    throw new PlanckError("corruption", `Replicated frames end without a commit marker at offset ${at}`, {
      offset: at,
    });
  }
  return groups;
}
