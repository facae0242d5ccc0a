/**
 * Deploy-time route collisions between services of one instance. A service with a prefix claims
 * every path under it; one without claims its route patterns and assets. Two services collide
 * when some request path could be claimed by both (with a method both accept, for two unprefixed
 * routes).
 *
 * Invariants: the check is exact for the pattern language of framework/router.ts — literal
 * segments, `:param` (one segment) and a trailing `*` (any rest, also empty).
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { ServiceManifest } from "../../protocol/abi.ts";

/** True when some path matches both patterns. */
export function patternsOverlap(a: string, b: string): boolean {
  const x = segments(a);
  const y = segments(b);
  for (let i = 0;; i++) {
    if (x[i] === "*" || y[i] === "*") return true;
    if (i === x.length || i === y.length) return x.length === y.length;
    if (x[i].startsWith(":") || y[i].startsWith(":")) continue;
    if (x[i] !== y[i]) return false;
  }
}

function segments(path: string): string[] {
  const parts = path.split("/").slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === "" && parts.length > 1) parts.pop();
  return parts;
}

function methodsOverlap(a: string, b: string): boolean {
  return a === b || a === "ALL" || b === "ALL";
}

/** What `manifest` claims, as [description, pattern, method] triples. */
function claims(manifest: ServiceManifest): [string, string, string][] {
  if (manifest.prefix !== "") {
    return [[`prefix ${manifest.prefix}`, `${manifest.prefix}/*`, "ALL"]];
  }
  return [
    ...manifest.routes.map((
      r,
    ): [string, string, string] => [`route ${r.method} ${r.path}`, r.path, r.method]),
    ...Object.keys(manifest.assets).map((p): [string, string, string] => [`asset ${p}`, p, "GET"]),
  ];
}

/**
 * Refuses `manifest` when it collides with another deployed service (redeploying the same name
 * replaces it, so it is skipped). @throws PlanckError `conflict` naming both services
 */
export function checkRouteCollisions(manifest: ServiceManifest, deployed: Iterable<ServiceManifest>): void {
  const mine = claims(manifest);
  for (const other of deployed) {
    if (other.name === manifest.name) continue;
    const prefixed = manifest.prefix !== "" || other.prefix !== "";
    for (const [theirWhat, theirPattern, theirMethod] of claims(other)) {
      for (const [myWhat, myPattern, myMethod] of mine) {
        if (!patternsOverlap(myPattern, theirPattern)) continue;
        if (!prefixed && !methodsOverlap(myMethod, theirMethod)) continue;
        throw new PlanckError(
          "conflict",
          `Service "${manifest.name}" ${myWhat} collides with service "${other.name}" ${theirWhat}; ` +
            `give one of them another prefix (planck.json "prefix") or route`,
          { field: "routes" },
        );
      }
    }
  }
}
