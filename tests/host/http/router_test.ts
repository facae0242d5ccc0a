/**
 * The app port's route table (host/http/router.ts) answers exactly as a linear scan of every route
 * in declaration order would: random manifests (literal, parameter and wildcard segments, assets, a
 * prefix or none) against random paths.
 */
import { assertEquals } from "../../_util/assert.ts";
import { forEachSeed, seededRandom } from "../../_util/random.ts";
import { compilePattern } from "../../../framework/router.ts";
import { ServiceRouter } from "../../../host/http/router.ts";
import { type ServiceManifest, underPrefix } from "../../../protocol/abi.ts";

/** The routing rule, one route after the other (what the table must agree with). */
function linear(manifests: ServiceManifest[], method: string, path: string): string | null {
  for (const m of manifests) {
    if (path in m.assets) return `${m.name} (asset)`;
    let any = false;
    for (const r of m.routes) {
      if (!compilePattern(r.path).regex.test(path)) continue;
      if (r.method === method || r.method === "ALL") return `${m.name} ${r.method} ${r.path}`;
      any = true;
    }
    if (any || (m.prefix !== "" && underPrefix(path, m.prefix))) return `${m.name} (unmatched)`;
  }
  return null;
}

const SEGMENTS = ["a", "b", "item", ":id", ":x", "*", ""];
const PATH_SEGMENTS = ["a", "b", "item", "x1", "", "*", "a%20b"];
const METHODS = ["GET", "POST", "DELETE", "ALL"];

Deno.test("router: the precomputed table agrees with a linear scan", async () => {
  await forEachSeed("router table", (seed) => {
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    for (let round = 0; round < 200; round++) {
      const manifests: ServiceManifest[] = [];
      for (let s = 0; s < 1 + Math.floor(random() * 3); s++) {
        const prefix = random() < 0.3 ? `/p${s}` : "";
        const routes = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
          const segments = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(SEGMENTS));
          return { method: pick(METHODS), path: `${prefix}/${segments.join("/")}` };
        });
        const assets: Record<string, string> = random() < 0.3 ? { [`${prefix}/a`]: "text/css" } : {};
        manifests.push({
          name: `s${s}`,
          version: "1",
          abi: 1,
          tier: "js",
          prefix,
          routes,
          indexes: [],
          assets,
        });
      }
      const router = new ServiceRouter();
      router.update(manifests);
      for (let i = 0; i < 50; i++) {
        const head = random() < 0.3 ? `/p${Math.floor(random() * 3)}` : "";
        const segments = Array.from({ length: Math.floor(random() * 4) }, () => pick(PATH_SEGMENTS));
        const path = `${head}/${segments.join("/")}`;
        const method = pick(["GET", "POST", "DELETE"]);
        const got = router.route(method, path);
        const label = got === null ? null : `${got.service} ${got.route}`;
        assertEquals(
          label,
          linear(manifests, method, path),
          `${method} ${path} in ${JSON.stringify(manifests)}`,
        );
      }
    }
  });
});
