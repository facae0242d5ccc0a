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

interface RouteEntry {
  method: string;
  pattern: Pattern;
  /** What a request matching this route is routed to (one object per route: no allocation per request). */
  target: RouteTarget;
}

interface Claim {
  service: string;
  prefix: string;
  /**
   * The precomputed table: the routes a path can match, by the path's first segment, in declaration
   * order — the routes whose first segment is that literal, merged with those starting with a
   * parameter or a wildcard (`anyFirst`, also the list for a segment no route names).
   */
  byFirst: Map<string, RouteEntry[]>;
  anyFirst: RouteEntry[];
  assets: Set<string>;
  asset: RouteTarget;
  unmatched: RouteTarget;
}

/** Where a request goes. */
export interface RouteTarget {
  service: string;
  /** `METHOD /pattern` of the matching route, "(asset)" or "(unmatched)" (the guest answers 404/405). */
  route: string;
}

/** The first segment of a path ("" for "/"): "/item/1" → "item". */
function firstSegment(path: string): string {
  const end = path.indexOf("/", 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

/** The claim of one manifest, with its route table. */
function claimOf(manifest: ServiceManifest): Claim {
  const service = manifest.name;
  const entries = manifest.routes.map((r) => ({
    method: r.method,
    pattern: compilePattern(r.path),
    target: { service, route: `${r.method} ${r.path}` },
  }));
  const literal = (e: RouteEntry) => {
    const first = firstSegment(e.pattern.path);
    return first.startsWith(":") || (first === "*" && e.pattern.path === "/*") ? null : first;
  };
  const anyFirst = entries.filter((e) => literal(e) === null);
  const byFirst = new Map<string, RouteEntry[]>();
  for (const e of entries) {
    const first = literal(e);
    if (first !== null && !byFirst.has(first)) {
      byFirst.set(
        first,
        entries.filter((other) => other === e || literal(other) === first || anyFirst.includes(other)),
      );
    }
  }
  return {
    service,
    prefix: manifest.prefix,
    byFirst,
    anyFirst,
    assets: new Set(Object.keys(manifest.assets)),
    asset: { service, route: "(asset)" },
    unmatched: { service, route: "(unmatched)" },
  };
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

  /** Replaces the claims with those of `manifests` (route tables are cached per manifest). */
  update(manifests: readonly ServiceManifest[]): void {
    this.#claims.length = 0;
    for (const manifest of manifests) {
      let claim = this.#cache.get(manifest);
      if (claim === undefined) {
        claim = claimOf(manifest);
        this.#cache.set(manifest, claim);
      }
      this.#claims.push(claim);
    }
    for (const manifest of this.#cache.keys()) {
      if (!manifests.includes(manifest)) this.#cache.delete(manifest);
    }
  }

  /** The service answering `method path`, or null (the server passes HEAD as GET). */
  route(method: string, path: string): RouteTarget | null {
    const first = firstSegment(path);
    for (const claim of this.#claims) {
      if (claim.assets.has(path)) return claim.asset;
      const routes = claim.byFirst.get(first) ?? claim.anyFirst;
      let matched = false;
      for (const r of routes) {
        if (!r.pattern.regex.test(path)) continue;
        if (r.method === method || r.method === "ALL") return r.target;
        matched = true;
      }
      if (matched || (claim.prefix !== "" && underPrefix(path, claim.prefix))) return claim.unmatched;
    }
    return null;
  }
}
