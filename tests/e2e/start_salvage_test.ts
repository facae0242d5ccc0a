/**
 * `planck start` on a corrupt WAL: without --salvage it refuses, naming the segment file and the
 * offset (exit 1); with --salvage it opens, prints what it gave up, and serves the data before the
 * damage.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { batch, openDatabase, Store, type WriteOp } from "../../engine/mod.ts";
import { listSegments } from "../../engine/db/recovery.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

async function writeCrashImage(dir: string): Promise<void> {
  const db = await openDatabase(dir, { walPreallocateBytes: 0 });
  await db.createStore("docs");
  for (let g = 0; g < 20; g++) {
    const ops: WriteOp[] = [{ op: "put", store: "docs", key: BigInt(g + 1), doc: { g } }];
    await batch(db, ops);
  }
  // A crash image: copy the files while the database is open (no checkpoint at close).
  await Deno.mkdir(`${dir}.image/wal`, { recursive: true });
  for (const s of listSegments(`${dir}/wal`)) Deno.copyFileSync(s.path, `${dir}.image/wal/${s.name}`);
  await db.close();
}

function start(dir: string, extra: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      CONFIG,
      MAIN,
      "start",
      "--data",
      dir,
      "--wire-port",
      "0",
      "--http-port",
      "0",
      "--workbench-port",
      "0",
      ...extra,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function readUntil(stream: ReadableStream<Uint8Array>, marker: string): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes(marker)) break;
  }
  return text;
}

Deno.test("planck start refuses a corrupt WAL naming file and offset, and --salvage opens it", async () => {
  const root = await Deno.makeTempDir({ prefix: "planck-salvage-" });
  try {
    await writeCrashImage(`${root}/db`);
    const image = `${root}/db.image`;
    const [segment] = listSegments(`${image}/wal`);
    const bytes = Deno.readFileSync(segment.path);
    const damaged = 32 + 40 * 8; // inside an early frame, with committed groups after it
    bytes[damaged] ^= 0xff;
    Deno.writeFileSync(segment.path, bytes);

    const refused = await start(image, []).output();
    const stderr = new TextDecoder().decode(refused.stderr) + new TextDecoder().decode(refused.stdout);
    assertEquals(refused.code, 1, stderr);
    assert(stderr.includes(segment.name) && /offset \d+/.test(stderr), stderr);

    const child = start(image, ["--salvage"]);
    const out = await readUntil(child.stdout, "planck: ready");
    assert(out.includes("SALVAGE: gave up"), out);
    child.kill("SIGTERM");
    await child.status;
    await child.stderr.cancel();
    const db = await openDatabase(image);
    try {
      assert(db.recovery.lost === null, "a salvaged directory reopens cleanly");
      const docs = new Store(db, "docs").scanRaw();
      assert(docs.length > 0 && docs.length < 20, `the data before the damage is there (${docs.length})`);
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
