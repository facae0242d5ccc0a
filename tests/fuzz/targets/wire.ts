/**
 * Wire frames against a real server on a socket: sequences of requests on a fresh connection, before
 * and after authentication (as a read_write user), mixing well-formed requests with random ops and
 * fields, frames whose length prefix lies, cut frames, non-BSON bodies and raw garbage. What must hold:
 * every reply is a BSON document with `ok: true` or an error whose code is a stable one (never
 * `internal`); the server closes a connection only after a connection-level error frame; and after
 * every case a fresh admin connection authenticates and pings, and the fuzzed store still reads.
 */
import { BSON } from "bson";
import { defaultConfig } from "../../../host/config.ts";
import { type PlanckServer, startServer } from "../../../host/server/server.ts";
import { frame, RawWire } from "../../host/test_server.ts";
import { bsonDocument, bsonFrame, bsonValue } from "../bson_values.ts";
import { bytes, type FuzzTarget, int, pick } from "../harness.ts";

const OP_NAMES = [
  "authenticate",
  "ping",
  "stats",
  "get",
  "scan",
  "insert",
  "put",
  "replace",
  "update",
  "delete",
  "transaction",
  "batch",
  "query",
  "pql",
  "count",
  "aggregate",
  "listStores",
  "listIndexes",
  "createStore",
  "createIndex",
  "dropStore",
  "dropIndex",
  "createUser",
  "dropUser",
  "setRole",
  "listUsers",
  "shutdown",
  "deploy",
  "undeploy",
  "services",
  "watch",
  "cancel",
  "replicate",
  "nope",
  "",
  "__proto__",
];
const FIELDS = [
  "store",
  "key",
  "doc",
  "set",
  "ops",
  "requests",
  "query",
  "text",
  "from",
  "to",
  "limit",
  "reverse",
];
const FIELDS_MORE = [
  "user",
  "role",
  "name",
  "fields",
  "unique",
  "wasm",
  "protocol",
  "since",
  "x",
  "__proto__",
];
const STABLE_CODES = new Set([
  "not_found",
  "conflict",
  "invalid_argument",
  "limit_exceeded",
  "corruption",
  "unauthorized",
  "forbidden",
  "not_leader",
  "timeout",
  "unavailable",
  "disk_full",
  "locked",
  "resume_point_lost",
]);

interface Ctx {
  dir: string;
  server: PlanckServer;
  port: number;
  admin: string;
  user: string;
  key: string;
}

/** A request: mostly plausible (a known op with fields of the right names), sometimes anything. */
function request(random: () => number, id: number): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    id: random() < 0.05 ? bsonValue(random, 1) : id,
    op: pick(random, OP_NAMES),
  };
  if (random() < 0.05) delete doc.op;
  for (let n = int(random, 4); n > 0; n--) {
    const name = random() < 0.8 ? pick(random, FIELDS) : pick(random, FIELDS_MORE);
    Object.defineProperty(doc, name, { value: fieldValue(random, name), enumerable: true, writable: true });
  }
  return doc;
}

function fieldValue(random: () => number, name: string): unknown {
  if (random() < 0.3) return bsonValue(random, 2);
  switch (name) {
    case "store":
      return pick(random, [
        "fz",
        "fz",
        "other",
        "orders__orders",
        "_planck_users",
        "",
        "a.b",
        "x".repeat(300),
      ]);
    case "key":
      return pick(random, [(int(random, 50) + 1).toString(16).padStart(32, "0"), "0x1", "zz", 7, null]);
    case "doc":
    case "set":
      return bsonDocument(random, 3);
    case "ops":
    case "requests":
      return Array.from({ length: int(random, 4) }, () => {
        const r = request(random, 1);
        delete r.id;
        return r;
      });
    case "text":
      return pick(random, [
        "fz.filter(a = 1).limit(3)",
        "fz.count()",
        "show stores",
        "drop store fz",
        "(",
        "",
      ]);
    case "limit":
      return pick(random, [0, 1, -1, 100_001, 2 ** 53, 1.5]);
    default:
      return bsonValue(random, 1);
  }
}

/** Bytes on the wire for one step of a case. */
function step(random: () => number, id: number): Uint8Array {
  const r = random();
  if (r < 0.7) {
    try {
      return frame(request(random, id));
    } catch {
      return frame({ id, op: "ping" });
    }
  }
  if (r < 0.8) { // a damaged BSON body behind a matching prefix
    const body = bsonFrame(random);
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setUint32(0, body.length, true);
    out.set(body, 4);
    return out;
  }
  if (r < 0.9) { // a prefix that lies (small, huge, off by a few)
    const body = BSON.serialize({ id, op: "ping" });
    const out = new Uint8Array(4 + body.length);
    const lie = pick(random, [0, 1, 4, body.length - 1, body.length + 3, 2 ** 20, 2 ** 31, 2 ** 32 - 1]);
    new DataView(out.buffer).setUint32(0, lie >>> 0, true);
    out.set(body, 4);
    return random() < 0.5 ? out : out.subarray(0, 4 + int(random, body.length));
  }
  return bytes(random, int(random, 40));
}

/** Reads replies until one has `id` (true) or the server closes (false); checks every reply. */
async function readUntil(wire: RawWire, id: number, what: string): Promise<boolean> {
  while (true) {
    const reply = await wire.read();
    if (reply === null) return false;
    if (reply.ok !== true) {
      const code = (reply.error as { code?: unknown } | undefined)?.code;
      if (typeof code !== "string" || !STABLE_CODES.has(code)) {
        throw new Error(
          `${what}: reply ${JSON.stringify(reply, (_, v) => typeof v === "bigint" ? String(v) : v)}`,
        );
      }
      if (reply.id === 0) return false; // connection-level error: the server closes now
    }
    if (reply.id === id) return true;
  }
}

async function adminAlive(ctx: Ctx, what: string): Promise<void> {
  const wire = await RawWire.open(ctx.port);
  try {
    const auth = await wire.authenticate(ctx.admin);
    if (auth.ok !== true) {
      throw new Error(`${what}: the admin cannot authenticate afterwards: ${JSON.stringify(auth)}`);
    }
    const pong = await wire.call({ id: 2, op: "scan", store: "fz", limit: 5 });
    if (pong.ok !== true) {
      throw new Error(`${what}: the fuzzed store does not read afterwards: ${JSON.stringify(pong)}`);
    }
  } finally {
    wire.close();
  }
}

export const wireTarget: FuzzTarget<Ctx> = {
  name: "wire",
  description:
    "random frames and op sequences on a real wire socket, before and after auth: stable errors, server alive",
  ciCases: 150,
  async setup() {
    const dir = await Deno.makeTempDir({ prefix: "planck_fuzz_wire_" });
    const config = defaultConfig();
    config.dataDir = dir;
    config.ports = { wire: 0, http: 0, workbench: 0 };
    config.shutdown.drainTimeoutMs = 2_000;
    const server = await startServer(config, { log: () => {}, signals: false });
    const admin = server.adminConnection!;
    const wire = await RawWire.open(server.ports.wire);
    await wire.authenticate(admin);
    const created = await wire.call({ id: 2, op: "createUser", user: "fuzzer", role: "read_write" });
    await wire.call({ id: 3, op: "createStore", store: "fz" });
    await wire.call({ id: 4, op: "insert", store: "fz", doc: { a: 1 } });
    wire.close();
    const { key } = created.result as { key: string };
    return { dir, server, port: server.ports.wire, admin, user: "fuzzer", key };
  },
  async one(ctx, random, caseIndex) {
    const wire = await RawWire.open(ctx.port);
    const what = `case ${caseIndex}`;
    try {
      let id = 10;
      if (random() < 0.7) {
        const auth = await wire.call({ id: 1, op: "authenticate", user: ctx.user, key: ctx.key });
        if (auth.ok !== true) {
          throw new Error(`${what}: the fuzz user cannot authenticate: ${JSON.stringify(auth)}`);
        }
      }
      let open = true;
      for (let n = 1 + int(random, 5); n > 0 && open; n--) {
        id++;
        try {
          await wire.write(step(random, id));
        } catch {
          open = false; // the server closed on an earlier step
          break;
        }
      }
      if (open) {
        // A closing ping tells where the replies end; the server may already have closed (error frame).
        // Then end the sending side: a frame whose prefix promised more bytes ends at EOF instead of
        // waiting for them (the server drops the partial frame and closes).
        try {
          await wire.write(frame({ id: 999, op: "ping" }));
          await wire.conn.closeWrite();
        } catch {
          // closed
        }
        await readUntil(wire, 999, what);
      }
    } finally {
      wire.close();
    }
    await adminAlive(ctx, what);
  },
  async teardown(ctx) {
    try {
      await ctx.server.stop();
    } finally {
      await Deno.remove(ctx.dir, { recursive: true });
    }
  },
};
