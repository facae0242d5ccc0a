/**
 * The app port's router: which deployed service answers a path, and the route label its metrics
 * use. A service with a prefix claims every path under it; one without claims the paths of its
 * manifest routes (any method: the service itself answers 405) and of its packed assets.
 *
 * Invariants: deploy refuses collisions (host/guest/route_overlap.ts), so at most one service
 * claims a path; no claim is null (the server answers 404); labels are manifest patterns, never
 * concrete paths.
 */
import { compilePattern, type Pattern } from "../../framework/router.ts";
import { type ServiceManifest, underPrefix } from "../../protocol/abi.ts";

interface Claim {
  service: string;
  prefix: string;
  routes: { method: string; pattern: Pattern; label: string }[];
  assets: Set<string>;
}

/** Where a request goes. */
export interface RouteTarget {
  service: string;
  /** `METHOD /pattern` of the matching route, "(asset)" or "(unmatched)" (the guest answers 404/405). */
  route: string;
}

/** Maps paths to services; rebuilt when the deployed set changes. */
export class ServiceRouter {
  readonly #claims: Claim[] = [];
  readonly #cache = new Map<ServiceManifest, Claim>();
  #generation = -1;

  /** Updates the claims from `registry` when its set of versions changed since the last call. */
  sync(registry: { generation: number; versions(): { manifest: ServiceManifest }[] }): void {
    if (registry.generation === this.#generation) return;
    this.#generation = registry.generation;
    this.update(registry.versions().map((v) => v.manifest));
  }

  /** Replaces the claims with those of `manifests` (compiled patterns are cached per manifest). */
  update(manifests: readonly ServiceManifest[]): void {
    this.#claims.length = 0;
    for (const manifest of manifests) {
      let claim = this.#cache.get(manifest);
      if (claim === undefined) {
        claim = {
          service: manifest.name,
          prefix: manifest.prefix,
          routes: manifest.routes.map((r) => ({
            method: r.method,
            pattern: compilePattern(r.path),
            label: `${r.method} ${r.path}`,
          })),
          assets: new Set(Object.keys(manifest.assets)),
        };
        this.#cache.set(manifest, claim);
      }
      this.#claims.push(claim);
    }
    for (const manifest of this.#cache.keys()) {
      if (!manifests.includes(manifest)) this.#cache.delete(manifest);
    }
  }

  /** The service answering `method path`, or null. */
  route(method: string, path: string): RouteTarget | null {
    for (const claim of this.#claims) {
      if (claim.assets.has(path)) return { service: claim.service, route: "(asset)" };
      const label = routeLabel(claim, method, path);
      if (label !== null) return { service: claim.service, route: label };
      if (claim.prefix !== "" && underPrefix(path, claim.prefix)) {
        return { service: claim.service, route: "(unmatched)" };
      }
    }
    return null;
  }
}

/** The label of the route of `claim` matching `method path` (the server passes HEAD as GET). */
function routeLabel(claim: Claim, method: string, path: string): string | null {
  const wanted = method;
  let any: string | null = null;
  for (const { method: m, pattern, label } of claim.routes) {
    if (!pattern.regex.test(path)) continue;
    if (m === wanted || m === "ALL") return label;
    any ??= "(unmatched)";
  }
  return any;
}
