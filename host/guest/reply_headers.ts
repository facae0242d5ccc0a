/**
 * The check of a guest's response headers before its transaction commits: a name that is not an HTTP
 * token (RFC 9110 §5.6.2) or a value holding CR, LF or NUL (header injection) or a character past
 * U+00FF fails the request, so
 * nothing it wrote is kept. Deno refuses the same headers when the Response is built; checking here,
 * before the commit, keeps a refused response from leaving its writes behind (docs/security.md).
 */

/** A header name: one or more token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a header value may not hold: CR, LF, NUL, or a character past U+00FF (no ByteString). */
// deno-lint-ignore no-control-regex -- NUL is what the check looks for
const FORBIDDEN_IN_VALUE = /[\r\n\0]|[^\x00-\xff]/;

/** A response header the host refuses to send. */
export class InvalidReplyHeader extends Error {
  /** The header's name, with any control characters shown escaped. */
  readonly header: string;
  constructor(header: string, why: string) {
    super(`the service returned an invalid response header ${header}: ${why}`);
    this.name = "InvalidReplyHeader";
    this.header = header;
  }
}

/** Throws InvalidReplyHeader for the first header in `headers` that the host will not send. */
export function checkReplyHeaders(headers: readonly (readonly [string, string])[]): void {
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) {
      throw new InvalidReplyHeader(JSON.stringify(name.slice(0, 100)), "the name is not an HTTP token");
    }
    if (FORBIDDEN_IN_VALUE.test(value)) {
      throw new InvalidReplyHeader(
        JSON.stringify(name),
        "the value holds CR, LF, NUL or a character past U+00FF",
      );
    }
  }
}
