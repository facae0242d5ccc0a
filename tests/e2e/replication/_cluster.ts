/**
 * Test helpers for replication: server subprocesses on fixed free ports (so a restarted server keeps
 * its address), a replication user, and the offline comparison of a replica with its primary — the
 * replica's WAL frames equal the primary's LSN by LSN, and its documents equal the primary's as of
 * the replica's LSN (a model replayed from the primary's WAL).
 */
import { assert, assertEquals } from "../../_util/assert.ts";
import { connect } from "../../../client/mod.ts";
import { openDatabase } from "../../../engine/db/database.ts";
import { listSegments } from "../../../engine/db/recovery.ts";
import { type Frame, FrameKind } from "../../../engine/wal/format.ts";
import { scanSegment } from "../../../engine/wal/reader.ts";
export { freePort } from "../../_util/ports.ts";

const SERVER = new URL("./_server.ts", import.meta.url).pathname;

/** A server subprocess. */
export class Node {
  readonly dataDir: string;
  readonly port: number;
  replicaOf: string | null;
  #child: Deno.ChildProcess | null = null;
  #output = "";

  constructor(dataDir: string, port: number, replicaOf: string | null = null) {
    this.dataDir = dataDir;
    this.port = port;
    this.replicaOf = replicaOf;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  output(): string {
    return this.#output;
  }

  /** Starts the server and waits for "planck: ready". */
  async start(): Promise<void> {
    assert(this.#child === null, "already running");
    const args = ["run", "-A", SERVER, this.dataDir, String(this.port)];
    if (this.replicaOf !== null) args.push(this.replicaOf);
    const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).spawn();
    this.#child = child;
    this.#output = "";
    const decoder = new TextDecoder();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => ready = resolve);
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        this.#output += decoder.decode(chunk, { stream: true });
        if (this.#output.includes("planck: ready")) ready();
      }
    };
    void pump(child.stdout);
    void pump(child.stderr);
    await Promise.race([isReady, child.status.then(() => {})]);
    if (!this.#output.includes("planck: ready")) {
      this.#child = null;
      throw new Error(`server on ${this.dataDir} did not start:\n${this.#output}`);
    }
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    await child.status;
  }

  /** The admin connection string of the primary `primary`, pointed at this node. */
  adminVia(primaryAdmin: string): string {
    return primaryAdmin.replace(/^[^;]+;/, `127.0.0.1:${this.port};`);
  }
}

/** The primary's admin connection string (from its credentials file). */
export async function adminOf(primary: Node): Promise<string> {
  return (await Deno.readTextFile(`${primary.dataDir}/admin.credentials`)).trim();
}

/** Creates a user with the `replication` role on `admin`'s server; returns its connection string. */
export async function replicationUser(admin: string, name = "replicator"): Promise<string> {
  const client = await connect(admin);
  try {
    const key = await client.users.create(name, "replication");
    return admin.replace(/uid=[^;]+/, `uid=${name}`).replace(/key=[^;]+/, `key=${key}`);
  } finally {
    client.close();
  }
}

/** Polls `probe` until it returns true (no time assertion: a generous bound against hangs only). */
export async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  boundMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The replication status of a server (`replicationStatus` op). */
export async function replicationStatus(connection: string): Promise<Record<string, unknown>> {
  const client = await connect(connection, { reconnect: false });
  try {
    return await client.replicationStatus();
  } finally {
    client.close();
  }
}

/** Every committed frame (commit markers included) of the WAL in `dataDir`, by LSN. */
export function walFrames(dataDir: string): Map<number, Frame> {
  const frames = new Map<number, Frame>();
  for (const file of listSegments(`${dataDir}/wal`)) {
    const scan = scanSegment(Deno.readFileSync(file.path), 0);
    for (const group of scan.groups) {
      for (const frame of group.frames) frames.set(frame.lsn, frame);
      frames.set(group.commitLsn, {
        lsn: group.commitLsn,
        kind: FrameKind.commit,
        storeId: 0,
        key: new Uint8Array(16),
        value: new Uint8Array(0),
      });
    }
  }
  return frames;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Store name → key → document (hex) as of `upTo`, replayed from `frames`. */
export function modelAt(frames: Map<number, Frame>, upTo: number): Map<string, Map<string, string>> {
  const names = new Map<number, string>();
  const stores = new Map<string, Map<string, string>>();
  for (let lsn = 1; lsn <= upTo; lsn++) {
    const frame = frames.get(lsn);
    if (frame === undefined) throw new Error(`the primary's WAL has no frame at LSN ${lsn}`);
    const store = () => stores.get(names.get(frame.storeId)!)!;
    switch (frame.kind) {
      case FrameKind.createStore: {
        const name = new TextDecoder().decode(frame.value);
        names.set(frame.storeId, name);
        stores.set(name, new Map());
        break;
      }
      case FrameKind.dropStore:
        stores.delete(names.get(frame.storeId)!);
        break;
      case FrameKind.put:
      case FrameKind.insert:
        store().set(hex(frame.key), hex(frame.value));
        break;
      case FrameKind.delete:
        store().delete(hex(frame.key));
        break;
    }
  }
  return stores;
}

/**
 * Opens the stopped replica's directory and checks it against the primary's WAL: every frame up to
 * the replica's LSN is the primary's frame at that LSN (none skipped, none twice), and every store
 * holds exactly the primary's documents as of that LSN. Returns the replica's LSN.
 */
export async function checkReplica(primaryDir: string, replicaDir: string): Promise<number> {
  const primary = walFrames(primaryDir);
  const replica = walFrames(replicaDir);
  const db = await openDatabase(replicaDir);
  try {
    const lsn = db.lastLsn;
    for (let at = 1; at <= lsn; at++) {
      const mine = replica.get(at);
      if (mine === undefined) continue; // removed by the replica's own retention (not in these tests)
      const theirs = primary.get(at);
      assert(theirs !== undefined, `LSN ${at} is on the replica but not on the primary`);
      assertEquals(
        [mine.kind, mine.storeId, hex(mine.key), hex(mine.value)],
        [theirs.kind, theirs.storeId, hex(theirs.key), hex(theirs.value)],
        `frame at LSN ${at}`,
      );
    }
    const model = modelAt(primary, lsn);
    assertEquals(db.listStores().map((s) => s.name).sort(), [...model.keys()].sort(), `stores at LSN ${lsn}`);
    for (const [name, docs] of model) {
      const actual = new Map<string, string>();
      for (const [key, bytes] of db.scan(db.storeInfo(name).id)) actual.set(key, hex(bytes));
      assertEquals(actual.size, docs.size, `documents of "${name}" at LSN ${lsn}`);
      for (const [key, doc] of docs) assertEquals(actual.get(key), doc, `"${name}" key ${key} at LSN ${lsn}`);
    }
    return lsn;
  } finally {
    await db.close();
  }
}
