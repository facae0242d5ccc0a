/**
 * The client learns the server's frame limit when it authenticates and refuses a larger request
 * itself with `limit_exceeded` naming `frame_bytes` — before, a 40 MiB insert was sent, the server
 * closed the connection from the prefix and the client saw `Broken pipe`. The connection stays usable.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { ClientError, connect } from "../../client/mod.ts";
import { FRAME_BYTES_DEFAULT } from "../../host/limits.ts";
import { withServer } from "../host/test_server.ts";

const MiB = 1024 * 1024;

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; limit?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof ClientError, `a ClientError, got ${error}`);
    return { code: error.code, limit: error.details.limit, message: error.message };
  }
  throw new Error("the request succeeded");
}

Deno.test("client: a 40 MiB insert is refused by the client with limit_exceeded, and the connection lives", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      await db.insert("orders", { n: 1 });
      assert(40 * MiB > FRAME_BYTES_DEFAULT, "the document is larger than the server's frame limit");
      const refused = await codeOf(db.insert("orders", { blob: "x".repeat(40 * MiB) }));
      assertEquals(refused.code, "limit_exceeded");
      assertEquals(refused.limit, "frame_bytes");
      assert(refused.message.includes(String(FRAME_BYTES_DEFAULT)), refused.message);
      assertEquals((await db.scan("orders")).length, 1);
    } finally {
      db.close();
    }
  });
});

Deno.test("client: a server with a lower frame_bytes makes the client refuse at that limit", async () => {
  await withServer(async ({ admin }) => {
    const db = await connect(admin);
    try {
      await db.insert("orders", { n: 1 });
      const refused = await codeOf(db.insert("orders", { blob: "x".repeat(128 * 1024) }));
      assertEquals(refused.code, "limit_exceeded");
      assertEquals(refused.limit, "frame_bytes");
      assert(refused.message.includes(String(64 * 1024)), refused.message);
      await db.insert("orders", { blob: "x".repeat(16 * 1024) });
      assertEquals((await db.scan("orders")).length, 2);
    } finally {
      db.close();
    }
  }, (config) => {
    config.limits.frameBytes = 64 * 1024;
  });
});
