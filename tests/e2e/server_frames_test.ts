/**
 * Hostile and broken frames over real sockets: each gets an error frame (id 0) and closes only its
 * own connection; the server keeps serving everyone else and no data changes.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { frame, RawWire, withServer } from "../host/test_server.ts";
import { testSeed } from "../_util/random.ts";

/** Cases of bytes a client might send after authenticating, and the code each must produce. */
const BAD_FRAMES: { name: string; bytes: () => Uint8Array; code: string }[] = [
  {
    name: "oversized length prefix",
    bytes: () => new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]),
    code: "limit_exceeded",
  },
  {
    name: "length below a BSON document",
    bytes: () => new Uint8Array([2, 0, 0, 0, 0, 0]),
    code: "invalid_argument",
  },
  {
    name: "prefix disagrees with the BSON length",
    bytes: () => {
      const f = frame({ id: 2, op: "ping" });
      new DataView(f.buffer).setInt32(4, 999, true);
      return f;
    },
    code: "invalid_argument",
  },
  {
    name: "garbage BSON body",
    bytes: () => {
      const body = new Uint8Array(32).fill(0x41);
      new DataView(body.buffer).setInt32(0, 32, true);
      body[31] = 0;
      const f = new Uint8Array(36);
      new DataView(f.buffer).setUint32(0, 32, true);
      f.set(body, 4);
      return f;
    },
    code: "invalid_argument",
  },
  { name: "missing request id", bytes: () => frame({ op: "ping" }), code: "invalid_argument" },
];

for (const bad of BAD_FRAMES) {
  Deno.test(`wire server answers a ${bad.name} with an error and closes only that connection`, async () => {
    await withServer(async ({ admin, port }) => {
      const db = await connect(admin);
      try {
        await db.insert("orders", { n: 1 });
        const raw = await RawWire.open(port);
        try {
          assertEquals((await raw.authenticate(admin)).ok, true);
          await raw.write(bad.bytes());
          const response = await raw.read();
          assertEquals(response?.id, 0);
          assertEquals(response?.ok, false);
          assertEquals((response?.error as { code: string }).code, bad.code);
          assertEquals(await raw.read(), null);
        } finally {
          raw.close();
        }
        assertEquals((await db.scan("orders")).length, 1);
      } finally {
        db.close();
      }
    }, (config) => {
      config.limits.frameBytes = 64 * 1024;
    });
  });
}

Deno.test("wire server rejects an oversized frame before the client has sent its body", async () => {
  await withServer(async ({ admin, port }) => {
    const raw = await RawWire.open(port);
    try {
      await raw.authenticate(admin);
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, 1024 * 1024, true);
      await raw.write(header); // the body never comes: the prefix alone must be refused
      const response = await raw.read();
      assertEquals((response?.error as { code: string; limit: string }).code, "limit_exceeded");
      assertEquals((response?.error as { limit: string }).limit, "frame_bytes");
    } finally {
      raw.close();
    }
  }, (config) => {
    config.limits.frameBytes = 64 * 1024;
  });
});

Deno.test("wire server keeps the connection for a well-formed request with a bad op or fields", async () => {
  await withServer(async ({ admin, port }) => {
    const raw = await RawWire.open(port);
    try {
      await raw.authenticate(admin);
      const cases: [Record<string, unknown>, string][] = [
        [{ id: 2, op: "fly" }, "invalid_argument"],
        [{ id: 3, op: 42 }, "invalid_argument"],
        [{ id: 4, op: "get", store: "orders" }, "invalid_argument"],
        [{ id: 5, op: "ping", extra: true }, "invalid_argument"],
        [{ id: 6, op: "watch", store: "orders", since: "yesterday" }, "invalid_argument"],
        [{ id: 7, op: "get", store: "nope", key: "0".repeat(32) }, "not_found"],
        [{ id: 8, op: "authenticate", user: "admin", key: "x" }, "conflict"],
      ];
      for (const [request, code] of cases) {
        const response = await raw.call(request);
        assertEquals(response.id, request.id);
        assertEquals((response.error as { code: string }).code, code, JSON.stringify(request));
      }
      assertEquals((await raw.call({ id: 9, op: "ping" })).ok, true);
    } finally {
      raw.close();
    }
  });
});

Deno.test("wire server survives a client that disconnects mid-frame and random byte streams", async () => {
  await withServer(async ({ admin, port }) => {
    const seed = testSeed();
    let state = seed;
    const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    try {
      for (let i = 0; i < 20; i++) {
        const raw = await RawWire.open(port);
        const bytes = new Uint8Array(1 + Math.floor(random() * 200)).map(() => Math.floor(random() * 256));
        await raw.write(bytes).catch(() => {});
        if (i % 2 === 0) {
          raw.close();
        } else {
          await (raw.conn as Deno.TcpConn).closeWrite().catch(() => {}); // EOF mid-frame: the server must close
          await raw.read().finally(() => raw.close());
        }
      }
      const half = frame({ id: 1, op: "ping" });
      const raw = await RawWire.open(port);
      await raw.write(half.subarray(0, 6));
      raw.close();
      const db = await connect(admin);
      await db.ping();
      db.close();
    } catch (error) {
      console.error(`PLANCK_SEED=${seed}`);
      throw error;
    }
  });
});

Deno.test("wire server answers a response larger than the frame limit with limit_exceeded", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      const big = "x".repeat(20 * 1024);
      for (let i = 0; i < 5; i++) await db.insert("blobs", { big });
      const error = await db.scan("blobs").then(() => undefined, (e) => e);
      assert(error !== undefined, "a 100 KiB scan cannot fit a 64 KiB frame");
      assertEquals(error.code, "limit_exceeded");
      await db.ping();
    } finally {
      db.close();
    }
  }, (config) => {
    config.limits.frameBytes = 64 * 1024;
  });
});
