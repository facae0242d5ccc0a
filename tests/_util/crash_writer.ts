/**
 * A writer for crash tests: opens a database and writes atomic groups from several concurrent
 * writers until it is killed. After each group is acknowledged it prints `ack <writer> <group>
 * <size>` on stdout, so the parent knows exactly which groups were acknowledged before SIGKILL.
 *
 * Usage: deno run -A tests/_util/crash_writer.ts <dir> <round> <durability> [segmentBytes]
 * Keys are deterministic: writer (8 hex) ‖ round·1e6 + group (16 hex) ‖ index (8 hex).
 */
import { batch, type Document, openDatabase, type WriteOp } from "../../engine/mod.ts";

const WRITERS = 4;
const GROUP_SIZE_MAX = 5;

/** The key of document `index` of `group` written by `writer`. */
export function crashKey(writer: number, group: number, index: number): string {
  return writer.toString(16).padStart(8, "0") + group.toString(16).padStart(16, "0") +
    index.toString(16).padStart(8, "0");
}

/** The document content the writer stores (the checker compares it). */
export function crashDoc(writer: number, group: number, index: number, size: number): Document {
  return { writer, group, index, size, pad: "p".repeat((group * 7 + index) % 300) };
}

/** Group size for (writer, group): deterministic so the checker knows it without the ack. */
export function crashGroupSize(writer: number, group: number): number {
  return 1 + ((writer * 31 + group * 17) % GROUP_SIZE_MAX);
}

if (import.meta.main) {
  const [dir, roundText, durability, segmentText] = Deno.args;
  const round = Number(roundText);
  const db = await openDatabase(dir, {
    durability,
    walSegmentBytes: segmentText ? Number(segmentText) : 64 * 1024,
    memtableBytes: Number(Deno.env.get("PLANCK_CRASH_MEMTABLE_BYTES") ?? 0) || undefined,
    vlogSegmentBytes: 256 * 1024,
    gcDeadRatio: Number(Deno.env.get("PLANCK_CRASH_GC_RATIO") ?? 0.5),
  });
  await db.createStore("crash", { ifNotExists: true });
  await db.createIndex("crash_by_group", "crash", [{ path: "group", direction: "desc" }, {
    path: "index",
    direction: "asc",
  }], {
    ifNotExists: true,
  });
  const out = Deno.stdout;
  const encoder = new TextEncoder();
  out.writeSync(encoder.encode(`ready ${db.lastLsn}\n`));
  const writer = async (w: number) => {
    for (let n = 0;; n++) {
      const group = round * 1_000_000 + n;
      const size = crashGroupSize(w, group);
      const ops: WriteOp[] = [];
      for (let i = 0; i < size; i++) {
        ops.push({
          op: "insert",
          store: "crash",
          key: crashKey(w, group, i),
          doc: crashDoc(w, group, i, size),
        });
      }
      await batch(db, ops);
      out.writeSync(encoder.encode(`ack ${w} ${group} ${size}\n`));
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
}
