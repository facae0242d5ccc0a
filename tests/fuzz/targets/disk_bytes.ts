/**
 * Damaged files on disk: a small data directory written once, copied per case, one byte of one file
 * flipped (or the file cut), then opened. Two directories: one whose documents live only in the WAL (the
 * copy was taken while the database was open, as a crash leaves it), and one closed cleanly (documents in
 * the value log and the B+tree, the WAL empty). Case `2i` flips offset `97·i mod size` of the WAL
 * segment, so a long run covers every offset of the small log.
 *
 * What must hold: the open either succeeds and the contents equal the state after some prefix of the
 * committed groups (WAL directory) or the state at close (clean directory) — a damaged document may be
 * refused on read with `corruption`, never returned wrong — or it fails with a PlanckError, and then a
 * salvage open succeeds with a prefix. Never another exception, never a hang.
 */
import { type Database, openDatabase } from "../../../engine/db/database.ts";
import { batch, type WriteOp } from "../../../engine/db/store.ts";
import { PlanckError } from "../../../protocol/errors.ts";
import { type FuzzTarget, int, pick } from "../harness.ts";
import { type Contents, contents, difference } from "./db_contents.ts";

/** Committed groups in the small log. */
const GROUPS = 12;
/** Step between the WAL offsets of consecutive cases (a prime). */
const OFFSET_STRIDE = 97;

interface Golden {
  dir: string;
  /** Files a case may damage, relative to dir. */
  files: string[];
  /** The contents that may be found: any of these. */
  states: Contents[];
}

interface Ctx {
  root: string;
  wal: Golden;
  clean: Golden;
}

const OPTIONS = { walPreallocateBytes: 0, durability: "sync" } as const;

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) out.push(...await listFiles(dir, path));
    else if (entry.isFile && entry.name !== "LOCK") out.push(path);
  }
  return out.sort();
}

/** Writes the groups; returns the contents after each (the first: before the store exists). */
async function writeGroups(db: Database): Promise<Contents[]> {
  const states = [contents(db)];
  await db.createStore("s");
  states.push(contents(db));
  const keys: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const ops: WriteOp[] = [];
    for (let i = 0; i < 1 + (g % 3); i++) {
      if (g % 4 === 3 && keys.length > 0) ops.push({ op: "delete", store: "s", key: keys[g % keys.length] });
      else {
        const key = (g * 10 + i + 1).toString(16).padStart(32, "0");
        keys.push(key);
        ops.push({
          op: "put",
          store: "s",
          key,
          doc: { g, i, text: "v".repeat(20 + g * 7), at: new Date(g) },
        });
      }
    }
    await batch(db, ops);
    states.push(contents(db));
  }
  return states;
}

async function golden(root: string, name: string, clean: boolean): Promise<Golden> {
  const work = `${root}/${name}_work`;
  const dir = `${root}/${name}`;
  const db = await openDatabase(work, OPTIONS);
  const states = await writeGroups(db);
  if (clean) {
    await db.close();
    await copyDir(work, dir);
    return { dir, files: await listFiles(dir), states: [states[states.length - 1]] };
  }
  await copyDir(work, dir); // as a crash leaves it: everything durable is in the WAL
  await db.close();
  return { dir, files: (await listFiles(dir)).filter((f) => f.startsWith("wal/")), states };
}

function matches(found: Contents, states: Contents[]): boolean {
  return states.some((state) => difference(found, state) === undefined);
}

/** Opens `dir` and reads everything; the contents, or the PlanckError that stopped it. */
async function openAndRead(dir: string, salvage: boolean): Promise<Contents | PlanckError> {
  let db: Database | undefined;
  try {
    db = await openDatabase(dir, { ...OPTIONS, salvage });
    return contents(db);
  } catch (error) {
    if (error instanceof PlanckError && error.code !== "internal") return error;
    throw new Error(
      `open${salvage ? " (salvage)" : ""} threw ${error instanceof Error ? error.stack : error}`,
    );
  } finally {
    await db?.close().catch(() => {});
  }
}

export const diskBytesTarget: FuzzTarget<Ctx> = {
  name: "disk_bytes",
  description:
    "one flipped byte or a cut in a WAL, value-log or B+tree file: a committed prefix, or a named error",
  ciCases: 60,
  async setup() {
    const root = await Deno.makeTempDir({ prefix: "planck_fuzz_disk_" });
    return { root, wal: await golden(root, "wal", false), clean: await golden(root, "clean", true) };
  },
  async one(ctx, random, caseIndex) {
    const fromWal = caseIndex % 2 === 0;
    const g = fromWal ? ctx.wal : ctx.clean;
    const file = pick(random, g.files);
    const scratch = `${ctx.root}/case`;
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
    await copyDir(g.dir, scratch);
    const path = `${scratch}/${file}`;
    const bytes = await Deno.readFile(path);
    if (bytes.length === 0) return;
    // WAL cases step through the segment by OFFSET_STRIDE (coprime with its size), so a short run
    // spreads over the whole log and a long one covers every offset.
    const offset = fromWal ? ((caseIndex >> 1) * OFFSET_STRIDE) % bytes.length : int(random, bytes.length);
    const cut = random() < 0.15;
    const damaged = cut ? bytes.subarray(0, offset) : bytes;
    if (!cut) damaged[offset] ^= 1 + int(random, 255);
    await Deno.writeFile(path, damaged);
    const what = `${file} ${cut ? "cut at" : "flipped at"} ${offset}`;

    const found = await openAndRead(scratch, false);
    if (!(found instanceof PlanckError)) {
      if (!matches(found, g.states)) throw new Error(`${what}: opened with contents no committed state had`);
      return;
    }
    if (!fromWal) return; // a damaged value log or tree is refused by name; salvage is for the WAL
    const salvaged = await openAndRead(scratch, true);
    if (salvaged instanceof PlanckError) {
      throw new Error(`${what}: open failed with ${found.code}, and salvage failed too: ${salvaged.message}`);
    }
    if (!matches(salvaged, g.states)) {
      throw new Error(`${what}: salvage kept contents no committed state had`);
    }
  },
  async teardown(ctx) {
    await Deno.remove(ctx.root, { recursive: true });
  },
};
