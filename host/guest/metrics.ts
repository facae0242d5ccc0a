/**
 * Per-route request metrics of the deployed services: count, errors (5xx), latency percentiles over
 * the most recent requests, and guest faults by kind (deadline kills, memory, traps, throws).
 * Routes are labelled `METHOD /pattern` (the manifest's pattern, not the concrete path), so the
 * label set is bounded by the manifests.
 *
 * Invariants: recording is O(1) and allocation-free after a route's first request; percentiles
 * are computed only when read; a service's metrics go when it is undeployed.
 */
import type { FaultKind } from "./guest.ts";

/** Latency samples kept per route for percentiles. */
export const LATENCY_SAMPLES_MAX = 2048;
/** Routes tracked per service (further labels fold into "(other)"). */
export const ROUTES_PER_SERVICE_MAX = 256;

/** What `snapshot` reports for one route. */
export interface RouteStats {
  service: string;
  route: string;
  count: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  faults: Record<FaultKind, number>;
}

class RouteCounters {
  count = 0;
  errors = 0;
  maxMs = 0;
  readonly faults: Record<FaultKind, number> = { timeout: 0, memory: 0, trap: 0, throw: 0, response: 0 };
  readonly #samples = new Float64Array(LATENCY_SAMPLES_MAX);

  record(ms: number, status: number): void {
    this.#samples[this.count % LATENCY_SAMPLES_MAX] = ms;
    this.count++;
    if (status >= 500) this.errors++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  percentiles(): { p50Ms: number; p99Ms: number } {
    const n = Math.min(this.count, LATENCY_SAMPLES_MAX);
    if (n === 0) return { p50Ms: 0, p99Ms: 0 };
    const sorted = this.#samples.slice(0, n).sort();
    const at = (q: number) => round(sorted[Math.min(n - 1, Math.floor(q * n))]);
    return { p50Ms: at(0.5), p99Ms: at(0.99) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Metrics of every deployed service's routes. */
export class ServiceMetrics {
  readonly #services = new Map<string, Map<string, RouteCounters>>();

  #counters(service: string, route: string): RouteCounters {
    let routes = this.#services.get(service);
    if (routes === undefined) this.#services.set(service, routes = new Map());
    let counters = routes.get(route);
    if (counters === undefined) {
      if (routes.size >= ROUTES_PER_SERVICE_MAX) return this.#counters(service, "(other)");
      routes.set(route, counters = new RouteCounters());
    }
    return counters;
  }

  /** Records one finished request. */
  record(service: string, route: string, ms: number, status: number): void {
    this.#counters(service, route).record(ms, status);
  }

  /** Records a guest fault of a request on `route`. */
  fault(service: string, route: string, kind: FaultKind): void {
    this.#counters(service, route).faults[kind]++;
  }

  /** Forgets a service (undeploy). */
  forget(service: string): void {
    this.#services.delete(service);
  }

  /** Every route's figures, by service then route. */
  snapshot(): RouteStats[] {
    const out: RouteStats[] = [];
    for (const [service, routes] of this.#services) {
      for (const [route, c] of routes) {
        out.push({
          service,
          route,
          count: c.count,
          errors: c.errors,
          ...c.percentiles(),
          maxMs: round(c.maxMs),
          faults: { ...c.faults },
        });
      }
    }
    return out;
  }
}
