/**
 * Limits before authentication, over real sockets against an in-process server: a length prefix
 * over PRE_AUTH_FRAME_BYTES from an unauthenticated connection is refused from the prefix alone
 * and the connection closed, while the same frame after authenticating is read; past
 * `limits.unauthenticated_per_address` open unauthenticated connections from one address the next
 * is refused, and a slot comes back when one authenticates or closes.
 */
import { assert, assertEquals } from "../_util/assert.ts";
import { connect } from "../../client/mod.ts";
import { PRE_AUTH_FRAME_BYTES } from "../../host/limits.ts";
import { RawWire, withServer } from "../host/test_server.ts";

function prefix(length: number): Uint8Array {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, length, true);
  return header;
}

function errorOf(
  response: Record<string, unknown> | null,
): { code: string; limit?: string; message: string } {
  assert(response !== null, "an error frame before the close");
  return response.error as { code: string; limit?: string; message: string };
}

Deno.test("before authentication a frame over PRE_AUTH_FRAME_BYTES is refused from its prefix and the socket closed", async () => {
  await withServer(async ({ admin, port }) => {
    const raw = await RawWire.open(port);
    try {
      await raw.write(prefix(PRE_AUTH_FRAME_BYTES + 1)); // the body never comes
      const response = await raw.read();
      assertEquals(response?.id, 0);
      const error = errorOf(response);
      assertEquals([error.code, error.limit], ["limit_exceeded", "PRE_AUTH_FRAME_BYTES"]);
      assert(error.message.includes(String(PRE_AUTH_FRAME_BYTES)), error.message);
      assertEquals(await raw.read(), null, "the connection is closed");
    } finally {
      raw.close();
    }

    // 30 MiB announced: refused just the same, nothing of it buffered (the server answers at once).
    const big = await RawWire.open(port);
    try {
      await big.write(prefix(30 * 1024 * 1024));
      assertEquals(errorOf(await big.read()).limit, "PRE_AUTH_FRAME_BYTES");
      assertEquals(await big.read(), null);
    } finally {
      big.close();
    }

    // After authenticating, a frame larger than PRE_AUTH_FRAME_BYTES is read and answered.
    const authed = await RawWire.open(port);
    try {
      assertEquals((await authed.authenticate(admin)).ok, true);
      const padding = "p".repeat(PRE_AUTH_FRAME_BYTES * 2);
      const response = await authed.call({ id: 2, op: "ping", padding });
      assertEquals(response.id, 2, "answered as request 2, not refused as a frame");
      assertEquals(errorOf(response).code, "invalid_argument"); // ping takes no fields
      assertEquals((await authed.call({ id: 3, op: "ping" })).ok, true, "the connection stays open");
    } finally {
      authed.close();
    }
  });
});

Deno.test("unauthenticated connections per address are capped; authenticating or closing frees a slot", async () => {
  const CAP = 4;
  await withServer(async ({ admin, port }) => {
    const waiting = await Promise.all(Array.from({ length: CAP }, () => RawWire.open(port)));
    const extra: RawWire[] = [];
    try {
      const refused = await RawWire.open(port);
      extra.push(refused);
      const error = errorOf(await refused.read());
      assertEquals([error.code, error.limit], ["limit_exceeded", "unauthenticated_per_address"]);
      assertEquals(await refused.read(), null, "the refused connection is closed");

      // Authenticated connections do not count: one of the waiting ones logs in, a new one is served.
      assertEquals((await waiting[0].authenticate(admin)).ok, true);
      const next = await RawWire.open(port);
      extra.push(next);
      assertEquals((await next.authenticate(admin)).ok, true, "a slot came back after a login");

      // Closing a waiting connection frees its slot once the server has seen the close.
      const stats = await connect(admin);
      try {
        waiting[1].close();
        while (
          ((await stats.request("stats", {})) as { server: { wire: { unauthenticated: number } } }).server
            .wire.unauthenticated > CAP - 2
        ) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      } finally {
        stats.close();
      }
      const after = await RawWire.open(port);
      extra.push(after);
      assertEquals((await after.authenticate(admin)).ok, true, "a slot came back after a close");
    } finally {
      for (const raw of [...waiting, ...extra]) raw.close();
    }
  }, (config) => {
    config.limits.unauthenticatedPerAddress = CAP;
  });
});
