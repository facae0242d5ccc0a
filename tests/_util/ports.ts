/**
 * Free loopback ports for servers a test restarts on the same address (a replica reconnecting to
 * its primary, a browser resuming an EventSource).
 *
 * A port taken with `port: 0` comes from the kernel's ephemeral range, the same range outgoing
 * connections draw their local port from: after the server is killed, any connection made by a
 * parallel test (or a parallel CI run) can take that port before the restart binds it again
 * ("Address already in use", seen in CI). Ports below the ephemeral range are never handed out
 * implicitly, so only another explicit bind can hold one; the pick is random and checked free.
 */

/** Lowest port picked (above the well-known and registered services most machines run). */
const PORT_LOW = 10_000;
/** Used when /proc/sys/net/ipv4/ip_local_port_range cannot be read (Linux's default low end). */
const EPHEMERAL_LOW_DEFAULT = 32_768;
const PICK_ATTEMPTS_MAX = 200;

function ephemeralLow(): number {
  try {
    const low = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > PORT_LOW + 1_000 ? low : EPHEMERAL_LOW_DEFAULT;
  } catch {
    return EPHEMERAL_LOW_DEFAULT;
  }
}

/** A port on 127.0.0.1 that is free now and outside the ephemeral range. */
export function freePort(): number {
  const high = ephemeralLow();
  for (let attempt = 0; attempt < PICK_ATTEMPTS_MAX; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * (high - PORT_LOW));
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  throw new Error(`no free port below ${high} after ${PICK_ATTEMPTS_MAX} attempts`);
}
