/**
 * Route patterns: `/orders/:id` captures a segment, a trailing `*` captures the rest (as "*").
 * A Router finds the first route whose method and pattern match, and tells 404 from 405.
 *
 * Invariants: matching is on the decoded path without the query string; routes match in the
 * order they were added; method "ALL" matches any method.
 */

/** A compiled route pattern. */
export interface Pattern {
  path: string;
  regex: RegExp;
  names: string[];
}

/** Compiles `/a/:b/*` to a regex and its parameter names. @throws TypeError on a bad pattern */
export function compilePattern(path: string): Pattern {
  if (!path.startsWith("/")) throw new TypeError(`Route pattern "${path}" must start with "/"`);
  const names: string[] = [];
  const source = path.split("/").map((segment, i, all) => {
    if (segment.startsWith(":")) {
      names.push(segment.slice(1));
      return "([^/]+)";
    }
    if (segment === "*" && i === all.length - 1) {
      names.push("*");
      return "(.*)";
    }
    return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join("/");
  return { path, regex: new RegExp(`^${source}/?$`), names };
}

/**
 * Parameters of `path` under `pattern` (percent-decoded; a segment whose escapes are malformed is
 * kept as sent), or null when it does not match.
 */
export function matchPattern(pattern: Pattern, path: string): Record<string, string> | null {
  const m = pattern.regex.exec(path);
  if (m === null) return null;
  const params: Record<string, string> = {};
  pattern.names.forEach((name, i) => params[name] = decodeSegment(m[i + 1]));
  return params;
}

function decodeSegment(segment: string): string {
  if (segment.indexOf("%") < 0) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes (URIError): the handler sees the raw text
  }
}

/** One route and what it carries. */
export interface Route<H> {
  method: string;
  pattern: Pattern;
  handler: H;
}

/** What a lookup found. */
export type RouteMatch<H> =
  | { kind: "found"; route: Route<H>; params: Record<string, string> }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

/** Routes in the order they were added. */
export class Router<H> {
  readonly routes: Route<H>[] = [];

  add(method: string, path: string, handler: H): void {
    this.routes.push({ method: method.toUpperCase(), pattern: compilePattern(path), handler });
  }

  /**
   * The first route matching `method` and `path`; else 405 (with Allow) or 404. HEAD never reaches
   * a guest: the host runs it as GET and drops the body (host/http/server.ts).
   */
  match(method: string, path: string): RouteMatch<H> {
    const allow: string[] = [];
    const wanted = method;
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, path);
      if (params === null) continue;
      if (route.method === wanted || route.method === "ALL") return { kind: "found", route, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: "method_not_allowed", allow } : { kind: "not_found" };
  }
}
