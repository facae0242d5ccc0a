/**
 * One workload against one store, in its own process (started by bench/engine/main.ts):
 *   deno run -A --config bench/peers/deno.json bench/engine/child.ts <peer> <w1|w6|probe> <dir> <config-json>
 * Prints one JSON line: the workload's figures. The peers are bench/peers/peers/*.ts, driven through
 * the same calls as bench/peers/runner.ts (W1: durable single inserts; W6: eight durable writers beside
 * eight readers of 16 gets per turn), so the figures compare with `deno task bench`.
 */
import { setImmediate } from "node:timers";
import { probeFsync } from "../peers/fsync.ts";
import { keyOf, makeItem, makeItems } from "../peers/lib/docs.ts";
import type { Peer } from "../peers/lib/peer.ts";
import { percentile } from "../peers/lib/stats.ts";
import { PEERS } from "../peers/peers/index.ts";

export interface ChildConfig {
  w1N: number;
  w6Sec: number;
  w6Writers: number;
  w6Readers: number;
  w6Preload: number;
  probeSec: number;
}

const W1_BASE = 0;
const PRELOAD_BASE = 1_000_000;
const W6_BASE = 10_000_000;
const PRELOAD_BATCH = 1000;
const READS_PER_TURN = 16;

const now = () => performance.now();
const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Syncs the peer has run, when it reports them (Planck: the WAL's fdatasync count). */
function syncsOf(peer: Peer): number | undefined {
  return (peer as { syncs?: () => number }).syncs?.();
}

async function w1(peer: Peer, cfg: ChildConfig): Promise<Record<string, unknown>> {
  const lat = new Float64Array(cfg.w1N);
  const syncs0 = syncsOf(peer);
  for (let n = 0; n < cfg.w1N; n++) {
    const item = makeItem(W1_BASE + n);
    const started = now();
    await peer.putDurable(item);
    lat[n] = now() - started;
  }
  const busy = lat.reduce((a, b) => a + b, 0);
  const syncs1 = syncsOf(peer);
  lat.sort();
  return {
    opsPerSec: round(cfg.w1N / (busy / 1000)),
    p50ms: round(percentile(lat, 50), 3),
    p99ms: round(percentile(lat, 99), 3),
    syncsPerOp: syncs0 === undefined ? undefined : round((syncs1! - syncs0) / cfg.w1N, 2),
  };
}

async function w6(peer: Peer, cfg: ChildConfig): Promise<Record<string, unknown>> {
  for (let at = 0; at < cfg.w6Preload; at += PRELOAD_BATCH) {
    await peer.putBatch(makeItems(PRELOAD_BASE + at, Math.min(PRELOAD_BATCH, cfg.w6Preload - at)));
  }
  let next = 0, reads = 0, misses = 0, seed = 99;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const lat: number[] = [];
  const syncs0 = syncsOf(peer);
  const deadline = now() + cfg.w6Sec * 1000;
  const writer = async () => {
    while (now() < deadline) {
      const item = makeItem(W6_BASE + next++);
      const started = now();
      await peer.putDurable(item);
      lat.push(now() - started);
      await yieldLoop();
    }
  };
  const reader = async () => {
    while (now() < deadline) {
      for (let j = 0; j < READS_PER_TURN; j++) {
        let value = peer.get(keyOf(PRELOAD_BASE + Math.floor(random() * cfg.w6Preload)));
        if (value instanceof Promise) value = await value;
        if (value === undefined) misses++;
        reads++;
      }
      await yieldLoop();
    }
  };
  const started = now();
  await Promise.all([
    ...Array.from({ length: cfg.w6Writers }, writer),
    ...Array.from({ length: cfg.w6Readers }, reader),
  ]);
  const secs = (now() - started) / 1000;
  const syncs1 = syncsOf(peer);
  lat.sort((a, b) => a - b);
  return {
    writesPerSec: round(next / secs),
    readsPerSec: round(reads / secs),
    writeP50ms: round(percentile(lat, 50), 2),
    writeP99ms: round(percentile(lat, 99), 2),
    writesPerSync: syncs0 === undefined ? undefined : round(next / Math.max(1, syncs1! - syncs0), 2),
    readMisses: misses,
  };
}

if (import.meta.main) {
  const [name, workload, dir, json] = Deno.args;
  const cfg = JSON.parse(json) as ChildConfig;
  if (workload === "probe") {
    const shapes = await probeFsync(dir, cfg.probeSec);
    console.log(JSON.stringify(Object.fromEntries(shapes.map((s) => [s.shape, round(s.opsPerSec)]))));
  } else {
    const peer = await (await PEERS[name]())();
    await peer.open(dir);
    const out = workload === "w1" ? await w1(peer, cfg) : await w6(peer, cfg);
    await peer.close();
    console.log(JSON.stringify(out));
  }
}
