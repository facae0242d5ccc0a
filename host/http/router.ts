/**
 * The app port's router: which deployed service answers a path. A service claims the paths of
 * its manifest routes (any method: the service itself answers 405) and of its packed assets.
 *
 * Invariants: services are tried in deploy order; the first whose route or asset matches wins;
 * no match is null (the server answers 404).
 */
import { compilePattern, matchPattern, type Pattern } from "../../framework/router.ts";
import type { ServiceManifest } from "../wasm/abi.ts";

interface Claim {
  service: string;
  patterns: Pattern[];
  assets: Set<string>;
}

/** Maps paths to services; rebuilt when the deployed set changes. */
export class ServiceRouter {
  readonly #claims: Claim[] = [];
  readonly #cache = new Map<ServiceManifest, Claim>();

  /** Replaces the claims with those of `manifests` (compiled patterns are cached per manifest). */
  update(manifests: readonly ServiceManifest[]): void {
    this.#claims.length = 0;
    for (const manifest of manifests) {
      let claim = this.#cache.get(manifest);
      if (claim === undefined) {
        claim = {
          service: manifest.name,
          patterns: manifest.routes.map((r) => compilePattern(r.path)),
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

  /** The service answering `path`, or null. */
  route(path: string): string | null {
    for (const claim of this.#claims) {
      if (claim.assets.has(path)) return claim.service;
      for (const pattern of claim.patterns) if (matchPattern(pattern, path) !== null) return claim.service;
    }
    return null;
  }
}
