/** Every store's documents as hex of their raw BSON, to compare a database before and after. */
import { Buffer } from "node:buffer";
import { type Database, openDatabase } from "../../../engine/db/database.ts";

export type Contents = Map<string, Map<string, string>>;

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");

export function contents(db: Database): Contents {
  const out: Contents = new Map();
  for (const info of db.listStores()) {
    const docs = new Map<string, string>();
    for (const [key, raw] of db.scan(info.id)) docs.set(String(key), hex(raw));
    out.set(info.name, docs);
  }
  return out;
}

/** The first difference between two contents, or undefined when equal. */
export function difference(a: Contents, b: Contents): string | undefined {
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name), y = b.get(name);
    if (x === undefined || y === undefined) return `store ${name}: present on one side only`;
    for (const key of new Set([...x.keys(), ...y.keys()])) {
      if (x.get(key) !== y.get(key)) return `store ${name}, key ${key}: ${x.get(key)} vs ${y.get(key)}`;
    }
  }
  return undefined;
}

/** A fuzz target's teardown: close, reopen, require the same contents, then remove the directory. */
export async function reopenUnchanged(ctx: { dir: string; db: Database }): Promise<void> {
  try {
    const before = contents(ctx.db);
    await ctx.db.close();
    ctx.db = await openDatabase(ctx.dir, { walPreallocateBytes: 0 });
    const diff = difference(before, contents(ctx.db));
    if (diff !== undefined) throw new Error(`reopen changed the database: ${diff}`);
  } finally {
    if (!ctx.db.closed) await ctx.db.close();
    await Deno.remove(ctx.dir, { recursive: true });
  }
}
