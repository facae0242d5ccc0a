/**
 * The wire workloads, independent of the target: preload N documents, then for a fixed time run
 * point gets or durable inserts from C concurrent connections (each keeps one request in flight),
 * measuring ops/s and latency percentiles.
 */

/** One target under test (Planck over its wire protocol, PostgreSQL over its own). */
export interface Target {
  name: string;
  /** Opens `connections` independent connections. */
  open(connections: number): Promise<Connection[]>;
  close(): Promise<void>;
}

/** One connection of a target. */
export interface Connection {
  /** Inserts documents with the given ids in one durable transaction (preload). */
  insertMany(ids: string[], docs: Record<string, unknown>[]): Promise<void>;
  /** Durable insert of one document; resolves after commit. */
  insert(id: string, doc: Record<string, unknown>): Promise<void>;
  /** Reads one document by id; resolves with it (or null). */
  get(id: string): Promise<unknown>;
  close(): Promise<void>;
}

/** What one workload measured. */
export interface Measurement {
  workload: string;
  target: string;
  connections: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** A u128 key (32 hex digits) for document i: random-looking and unique. */
export function idOf(i: number, salt = 0): string {
  let out = "";
  let h = (i * 2654435761 + salt * 40503) >>> 0;
  for (let word = 0; word < 4; word++) {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16) ^ (i + word * 0x9e3779b9)) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 24) + (i >>> 0).toString(16).padStart(8, "0"); // the tail makes it unique
}

const STATUSES = ["open", "paid", "shipped", "cancelled", "refunded"];

/** Document i (about 300 bytes of BSON / JSON). */
export function docOf(i: number): Record<string, unknown> {
  return {
    user: `user${i % 5000}`,
    status: STATUSES[i % STATUSES.length],
    amount: (i * 37) % 10_000 / 100,
    created: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    tags: ["red", "gift", "bulk"].slice(0, 1 + (i % 3)),
    note: "x".repeat(120 + (i % 60)),
  };
}

/** Loads documents 0..n-1 in transactions of `batch`. */
export async function preload(connection: Connection, n: number, batch = 500): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(batch, n - start);
    const chunk = Array.from({ length: count }, (_, j) => start + j);
    const chunkIds = chunk.map((i) => idOf(i));
    await connection.insertMany(chunkIds, chunk.map(docOf));
    ids.push(...chunkIds);
  }
  return ids;
}

/** Runs `step` on every connection in a closed loop for `seconds`; returns ops/s and latencies. */
export async function measure(
  spec: { workload: string; target: string; seconds: number },
  connections: Connection[],
  step: (connection: Connection, worker: number, n: number) => Promise<unknown>,
): Promise<Measurement> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + spec.seconds * 1000;
  await Promise.all(connections.map(async (connection, worker) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const t0 = performance.now();
      await step(connection, worker, n);
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    workload: spec.workload,
    target: spec.target,
    connections: connections.length,
    ops: latencies.length,
    seconds,
    opsPerSec: latencies.length / seconds,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
  };
}

/** The four measurements of a target: gets and durable inserts at 1 and `wide` connections. */
export async function runWorkloads(
  target: Target,
  options: { docs: number; seconds: number; wide: number; log: (line: string) => void },
): Promise<Measurement[]> {
  const [loader] = await target.open(1);
  options.log(`${target.name}: preloading ${options.docs} documents`);
  const ids = await preload(loader, options.docs);
  await loader.close();
  const results: Measurement[] = [];
  for (const connections of [1, options.wide]) {
    const pool = await target.open(connections);
    try {
      let state = 12345;
      const random = () => (state = (state * 1103515245 + 12345) >>> 0) % ids.length;
      const gets = await measure(
        { workload: "get", target: target.name, seconds: options.seconds },
        pool,
        (connection) => connection.get(ids[random()]),
      );
      options.log(`${target.name}: get x${connections}: ${gets.opsPerSec.toFixed(0)} ops/s`);
      const base = 10_000_000 * (connections + 1);
      const inserts = await measure(
        { workload: "insert (durable)", target: target.name, seconds: options.seconds },
        pool,
        (connection, worker, n) => connection.insert(idOf(base + worker * 1_000_000 + n, 7), docOf(n)),
      );
      options.log(`${target.name}: insert x${connections}: ${inserts.opsPerSec.toFixed(0)} ops/s`);
      results.push(gets, inserts);
    } finally {
      await Promise.all(pool.map((connection) => connection.close()));
    }
  }
  return results;
}
