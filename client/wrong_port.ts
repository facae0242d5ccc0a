/**
 * The client's answer to a server that does not speak the wire protocol: when the first bytes back
 * are not a frame (an HTTP or TLS port was dialled), a WrongPortError saying what was most likely
 * meant. Framing itself is protocol/frame.ts, shared with the server.
 */
import { ClientError } from "./errors.ts";

/** The address answers, but not with the wire protocol (an HTTP or TLS port): retrying cannot help. */
export class WrongPortError extends ClientError {
  constructor(message: string) {
    super("unavailable", message);
  }
}

/** The wire port a server listens on unless configured otherwise. */
const WIRE_PORT_DEFAULT = 23469;

/** What a newcomer most likely did when the first bytes are not a frame: "" when nothing fits. */
export function hintFor(head: Uint8Array): string {
  const text = String.fromCharCode(...head.subarray(0, 4));
  if (text === "HTTP") {
    return `: this looks like an HTTP port (the app or workbench port), not the wire port; the wire port is ` +
      `${WIRE_PORT_DEFAULT} unless configured (see "planck: wire listening on …" at start, or data/admin.credentials)`;
  }
  if (head[0] === 0x15 && head[1] === 0x03) {
    return `: the server answered with a TLS alert, so this port speaks TLS: add ";tls=true" to the connection string`;
  }
  return "";
}
