/**
 * The plain segment sink of `walArchiveDir`: a synchronous copy of each segment before it is removed.
 * The server uses the WAL archive instead (engine/wal/archive.ts), which verifies and never blocks.
 */
import type { SegmentSink } from "./wal_prune.ts";

/** A sink copying each segment into `dir` (created on first use), or undefined without a dir. */
export function copyTo(dir: string | undefined): SegmentSink | undefined {
  if (dir === undefined) return undefined;
  return (segment) => {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.copyFileSync(segment.path, `${dir}/${segment.path.slice(segment.path.lastIndexOf("/") + 1)}`);
  };
}
