/**
 * Login lockout per (user, address) over real sockets: a server bound to "::" is reached over IPv4
 * (127.0.0.1, seen as ::ffff:127.0.0.1) and over IPv6 (::1), two remote addresses on one machine.
 * Wrong keys for admin from the IPv4 address lock admin out there (even with the right key, which
 * is not checked while locked) but not at ::1; and a success at ::1 does not clear the IPv4 lock.
 * Skipped, with a notice, where the machine has no IPv6 loopback.
 */
import { assertEquals } from "../_util/assert.ts";
import { LOCKOUT_FAILURES_DEFAULT } from "../../host/limits.ts";
import { RawWire, withServer } from "../host/test_server.ts";

function ipv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

async function login(port: number, hostname: string, user: string, key: string): Promise<string> {
  const raw = await RawWire.open(port, hostname);
  try {
    const response = await raw.call({ id: 1, op: "authenticate", user, key });
    return response.ok === true ? "ok" : (response.error as { code: string }).code;
  } finally {
    raw.close();
  }
}

Deno.test("wrong keys from one address lock the admin out at that address only", async () => {
  if (!ipv6Loopback()) {
    console.log("skipped: no IPv6 loopback (::1) on this machine, so no second local address");
    return;
  }
  await withServer(async ({ admin, port }) => {
    const key = /key=([^;]+)/.exec(admin)![1];
    for (let i = 0; i < LOCKOUT_FAILURES_DEFAULT; i++) {
      assertEquals(await login(port, "127.0.0.1", "admin", "wrong"), "unauthorized", `failure ${i + 1}`);
    }
    assertEquals(await login(port, "127.0.0.1", "admin", key), "locked", "locked at the failing address");
    assertEquals(await login(port, "::1", "admin", key), "ok", "not locked at another address");
    assertEquals(
      await login(port, "127.0.0.1", "admin", key),
      "locked",
      "a success elsewhere clears nothing here",
    );
  }, (config) => {
    config.bind = "::";
    config.security.lockoutBaseMs = 60_000; // far longer than the test: the lock cannot lapse mid-test
  });
});
