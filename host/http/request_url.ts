/**
 * The path and query of a request URL without building a `URL` object (about 1–2 µs a request in
 * Deno 2.9: the parser plus branded getters). `Deno.serve` gives an absolute URL; when its path and
 * query hold only characters the WHATWG parser keeps as they are — no "%" and no dot segment in
 * the path, nothing it would percent-encode in either — its pathname and search are the raw text,
 * so they are cut out directly. Anything else goes through `new URL`, whose normalization (dot
 * segments, "%2e", backslashes, encodings) then applies as before.
 *
 * Invariants: for every URL, `splitRequestUrl(url)` equals `{path: u.pathname, query:
 * u.search.slice(1)}` of `u = new URL(url)` (tests/host/http/request_url_test.ts checks it on
 * random URLs).
 */

/** Path characters the URL parser leaves as they are (no "%": "%2e" is a dot segment). */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
/** Query characters the URL parser leaves as they are in a special scheme's query ("'" is encoded). */
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;

/** The path (no query) and the raw query (no "?") of `url`. */
export function splitRequestUrl(url: string): { path: string; query: string } {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  if (start > 0 && url.indexOf("#") < 0) {
    const mark = url.indexOf("?", start);
    const path = mark < 0 ? url.slice(start) : url.slice(start, mark);
    const query = mark < 0 ? "" : url.slice(mark + 1);
    if (PLAIN_PATH.test(path) && path.indexOf("/.") < 0 && PLAIN_QUERY.test(query)) return { path, query };
  }
  const parsed = new URL(url);
  return { path: parsed.pathname, query: parsed.search.slice(1) };
}
