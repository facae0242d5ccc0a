/**
 * The service ABI (docs/wasm-abi.md): the custom sections of a service `.wasm`, its manifest, the
 * request and response documents that cross the guest/host boundary, and their limits.
 *
 * Invariants: ABI_VERSION changes whenever a shape here changes incompatibly; a manifest that
 * `parseManifest` returns has a valid service name and well-formed routes.
 */
import { PlanckError } from "./errors.ts";

/** The ABI version a host speaks; a service built for another one is refused at deploy. */
export const ABI_VERSION = 1;

/** Custom section holding the JavaScript bundle (UTF-8). */
export const SECTION_JS = "planck.js";
/** Custom section holding the manifest (UTF-8 JSON). */
export const SECTION_MANIFEST = "planck.manifest";
/** Custom section holding the engine pin (UTF-8 JSON `{package, version, sha256}`). */
export const SECTION_ENGINE = "planck.engine";

/** The largest service `.wasm` a host accepts. */
export const SERVICE_BYTES_MAX = 16 * 1024 * 1024;
/** The largest request body passed to a guest. */
export const REQUEST_BODY_BYTES_MAX = 4 * 1024 * 1024;
/**
 * The largest reply a guest may return (its UTF-8 bytes, head and body together): a larger one is
 * answered 500 naming this limit and counted as a `response` fault.
 */
export const RESPONSE_BYTES_MAX = 16 * 1024 * 1024;

/** Default per-request deadline of a service handler (config `services.deadline_ms`). */
export const SERVICE_DEADLINE_MS_DEFAULT = 5_000;
/** Longest configurable service deadline. */
export const SERVICE_DEADLINE_MS_MAX = 10 * 60_000;
/** Default linear-memory cap of one service instance (config `services.memory_bytes`). */
export const SERVICE_MEMORY_BYTES_DEFAULT = 64 * 1024 * 1024;
/** Smallest memory cap: the JS tier's engine declares a 16 MiB minimum. */
export const SERVICE_MEMORY_BYTES_MIN = 16 * 1024 * 1024;
/** Largest memory cap (wasm32 addresses 4 GiB). */
export const SERVICE_MEMORY_BYTES_MAX = 4 * 1024 * 1024 * 1024 - 64 * 1024;

/** Service names: lower-case letters, digits and "_" (they prefix engine store names). */
const SERVICE_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "ALL"];

/** One route a service declares. */
export interface ManifestRoute {
  method: string;
  path: string;
}

/** A secondary index a service declares on one of its stores (created at deploy). */
export interface ManifestIndex {
  name: string;
  store: string;
  fields: { path: string; direction: "asc" | "desc" }[];
  unique?: boolean;
}

/** A live topic a service declares (served at `GET /events?topic=name`, host/sse/). */
export interface ManifestTopic {
  name: string;
  /** The service's store (unscoped). */
  store: string;
  key?: string;
  from?: string;
  to?: string;
  /** A query filter document (docs/query.md). */
  filter?: unknown;
  format: "htmx" | "datastar" | "json";
  /** The SSE event name of the htmx and json formats. */
  event: string;
  /** True when the guest renders each event. */
  render: boolean;
  /** True when the guest has an authorize function (the middleware runs for every subscriber anyway). */
  authorize: boolean;
}

/** A change subscription a service declares (`app.on(store, handler)`, host/subscriptions/). */
export interface ManifestSubscription {
  name: string;
  store: string;
  filter?: unknown;
}

/** The `planck.manifest` section. */
export interface ServiceManifest {
  name: string;
  version: string;
  abi: number;
  routes: ManifestRoute[];
  indexes: ManifestIndex[];
  /** Static assets packed into the bundle: URL path → content type. */
  assets: Record<string, string>;
  /** "js" (QuickJS + bundle) or "native" (core-wasm ABI, docs/wasm-abi.md). */
  tier: ServiceTier;
  /** The path prefix every route and asset of the service lies under ("" for none). */
  prefix: string;
  /** Live topics (JS tier only; parseManifest gives [] for none). */
  topics?: ManifestTopic[];
  /** Change subscriptions (JS tier only; parseManifest gives [] for none). */
  subscriptions?: ManifestSubscription[];
  /** Scheduled chores over the service's own stores (planck.json "schedules"; [] for none; docs/operations.md). */
  schedules?: ManifestSchedule[];
}

/** A schedule a service declares; the host scopes it at deploy (host/schedule/service_schedules.ts). */
export interface ManifestSchedule {
  name: string;
  task: string;
  cron: string;
  timezone?: string;
  enabled?: boolean;
  options?: Record<string, unknown>;
}

/** Schedules one service may declare. */
export const SERVICE_SCHEDULES_MAX = 32;

/** How a service runs. */
export type ServiceTier = "js" | "native";

/** A route prefix: "/" then static segments, no trailing "/". */
export const PREFIX_PATTERN = /^(\/[A-Za-z0-9_.~-]+)+$/;

/** Paths reserved for the host on the app port (metrics, health). */
export const HOST_PATH_PREFIX = "/_planck";

/** True when `path` is `prefix` or lies under it. */
export function underPrefix(path: string, prefix: string): boolean {
  return prefix === "" || path === prefix || path.startsWith(`${prefix}/`);
}

/** The `planck.engine` section. */
export interface EnginePin {
  package: string;
  version: string;
  sha256: string;
}

/** What the host passes to `__planck_handle` (tagged JSON). */
export interface GuestRequest {
  id: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** The raw query string without "?". */
  query: string;
  headers: [string, string][];
  /** The body bytes, or null when there is none. */
  body: Uint8Array | null;
  /** An internal call of the host (topics, subscriptions: framework/topics.ts); JS tier only. */
  planck?: Record<string, unknown>;
}

/** What `__planck_handle` returns (tagged JSON). */
export interface GuestResponse {
  status: number;
  headers: [string, string][];
  /** A text body, bytes, a list of byte chunks (a stream) or null. */
  body: string | Uint8Array | Uint8Array[] | null;
}

/** Checks a service name. @throws PlanckError `invalid_argument` */
export function validateServiceName(name: unknown): string {
  if (typeof name !== "string" || !SERVICE_NAME.test(name) || name.includes("__")) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid service name "${String(name).slice(0, 80)}": use lower-case letters, digits and "_" ` +
        `(no "__"), starting with a letter, at most 40 characters`,
      { field: "name" },
    );
  }
  if (name.startsWith("sys")) {
    throw new PlanckError("invalid_argument", `Invalid service name "${name}": "sys" is reserved`, {
      field: "name",
    });
  }
  return name;
}

function fail(message: string, field: string): never {
  throw new PlanckError("invalid_argument", `Invalid service manifest: ${message}`, { field });
}

/** Parses and checks the manifest text of a service. @throws PlanckError `invalid_argument` */
export function parseManifest(text: string): ServiceManifest {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    fail(`not JSON (${(error as Error).message})`, "manifest");
  }
  if (raw === null || typeof raw !== "object") fail("not an object", "manifest");
  if (raw.abi !== ABI_VERSION) {
    fail(
      `ABI version ${
        JSON.stringify(raw.abi)
      } is not supported by this host (it speaks ABI ${ABI_VERSION}); ` +
        `rebuild the service with this version of planck`,
      "abi",
    );
  }
  const name = validateServiceName(raw.name);
  if (typeof raw.version !== "string" || raw.version.length > 64) fail("version must be a string", "version");
  const routes = Array.isArray(raw.routes) ? raw.routes as ManifestRoute[] : fail("routes missing", "routes");
  for (const route of routes) {
    if (
      !ROUTE_METHODS.includes(route?.method) || typeof route.path !== "string" || !route.path.startsWith("/")
    ) {
      fail(`bad route ${JSON.stringify(route)}`, "routes");
    }
  }
  const indexes = Array.isArray(raw.indexes) ? raw.indexes as ManifestIndex[] : [];
  const assets = raw.assets !== null && typeof raw.assets === "object"
    ? raw.assets as Record<string, string>
    : {};
  const tier = raw.tier ?? "js";
  if (tier !== "js" && tier !== "native") {
    fail(`tier must be "js" or "native", got ${JSON.stringify(tier)}`, "tier");
  }
  const prefix = raw.prefix === "/" ? "" : raw.prefix ?? "";
  if (typeof prefix !== "string" || (prefix !== "" && !PREFIX_PATTERN.test(prefix))) {
    fail(`prefix ${JSON.stringify(prefix)} must be "/" and path segments without a trailing "/"`, "prefix");
  }
  for (const path of [...routes.map((r) => r.path), ...Object.keys(assets)]) {
    if (!underPrefix(path, prefix)) fail(`path "${path}" is not under the prefix "${prefix}"`, "routes");
    if (underPrefix(path, HOST_PATH_PREFIX)) fail(`path "${path}" is reserved for the host`, "routes");
  }
  const topics = parseTopics(raw.topics);
  const subscriptions = parseSubscriptions(raw.subscriptions);
  const schedules = parseSchedules(raw.schedules);
  return {
    name,
    version: raw.version as string,
    abi: ABI_VERSION,
    routes,
    indexes,
    assets,
    tier,
    prefix,
    topics,
    subscriptions,
    schedules,
  };
}

/** The shape of `schedules`; the host checks tasks, cron patterns and options at deploy. */
function parseSchedules(raw: unknown): ManifestSchedule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > SERVICE_SCHEDULES_MAX) {
    fail(`schedules must be a list of at most ${SERVICE_SCHEDULES_MAX}`, "schedules");
  }
  const seen = new Set<string>();
  for (const s of raw as ManifestSchedule[]) {
    const ok = s !== null && typeof s === "object" && typeof s.name === "string" &&
      /^[A-Za-z0-9_-]{1,40}$/.test(s.name) && typeof s.task === "string" && typeof s.cron === "string" &&
      (s.timezone === undefined || typeof s.timezone === "string") &&
      (s.enabled === undefined || typeof s.enabled === "boolean") &&
      (s.options === undefined ||
        (s.options !== null && typeof s.options === "object" && !Array.isArray(s.options)));
    if (!ok || seen.has(s.name)) fail(`bad schedule ${JSON.stringify(s).slice(0, 200)}`, "schedules");
    seen.add(s.name);
  }
  return raw as ManifestSchedule[];
}

const LIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:#-]{0,63}$/;
const TOPIC_FORMATS = ["htmx", "datastar", "json"];

function parseTopics(raw: unknown): ManifestTopic[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail("topics must be a list", "topics");
  const seen = new Set<string>();
  for (const topic of raw as ManifestTopic[]) {
    const ok = topic !== null && typeof topic === "object" && typeof topic.name === "string" &&
      LIVE_NAME.test(topic.name) && typeof topic.store === "string" && TOPIC_FORMATS.includes(topic.format) &&
      typeof topic.event === "string" && /^[A-Za-z0-9_.:-]{1,64}$/.test(topic.event) &&
      typeof topic.render === "boolean" && typeof topic.authorize === "boolean";
    if (!ok || seen.has(topic.name)) fail(`bad topic ${JSON.stringify(topic).slice(0, 200)}`, "topics");
    seen.add(topic.name);
  }
  return raw as ManifestTopic[];
}

function parseSubscriptions(raw: unknown): ManifestSubscription[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail("subscriptions must be a list", "subscriptions");
  const seen = new Set<string>();
  for (const sub of raw as ManifestSubscription[]) {
    const ok = sub !== null && typeof sub === "object" && typeof sub.name === "string" &&
      LIVE_NAME.test(sub.name) && typeof sub.store === "string";
    if (!ok || seen.has(sub.name)) {
      fail(`bad subscription ${JSON.stringify(sub).slice(0, 200)}`, "subscriptions");
    }
    seen.add(sub.name);
  }
  return raw as ManifestSubscription[];
}
