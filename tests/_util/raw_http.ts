/**
 * One HTTP/1.1 exchange over raw TCP, for tests of the request limits (414/431/413/408): the bytes are
 * sent as given, and one response is read (head and declared body, up to `max` characters). A
 * generous bound closes the socket if no answer ever comes, so a hang fails instead of blocking.
 */

/** How long one exchange waits for its answer before giving up (never reached on a sound server). */
const ANSWER_WAIT_MS = 120_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends `request` raw and reads one response; "closed" when the server answered nothing. */
export async function rawHttp(port: number, request: string | Uint8Array, max = 64 * 1024): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const guard = setTimeout(() => conn.close(), ANSWER_WAIT_MS);
  try {
    const bytes = typeof request === "string" ? encoder.encode(request) : request;
    try {
      for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    } catch {
      // the server may answer and close before it has read everything (413): read what it said
    }
    let text = "";
    const buffer = new Uint8Array(16 * 1024);
    while (text.length < max) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n));
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const length = /content-length: *(\d+)/i.exec(text.slice(0, end));
        if (length !== null && text.length >= end + 4 + Number(length[1])) break;
      }
    }
    return text === "" ? "closed" : text;
  } finally {
    clearTimeout(guard);
    try {
      conn.close();
    } catch { /* closed by the guard */ }
  }
}

/** The status code of a raw response (0 when there is none). */
export function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}
