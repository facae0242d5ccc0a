/**
 * Deployed services of one instance (several, of either tier): warm pools, route collisions
 * refused at deploy, the atomic switch between versions, undeploy, persistence in the system
 * store "sysservices" (reloaded at start), dispatch of HTTP requests to a service's current
 * version, and per-route metrics. Upload validation lives in upload.ts.
 *
 * Invariants: a deploy either fully replaces the previous version or changes nothing; a request
 * runs to its end on the version it started on (the old pool closes once its last request is
 * done); the stored record holds the manifest and the bundle (JS) or fuel-injected code (native)
 * — the host always runs its own pinned engine.
 */
import { bytesToHex } from "../../protocol/hex.ts";
import type { Database } from "../../engine/db/database.ts";
import { decodeDocument } from "../../engine/document.ts";
import { PlanckError } from "../../protocol/errors.ts";
import { transaction } from "../../engine/tx/transaction.ts";
import {
  type GuestRequest,
  type GuestResponse,
  SERVICE_DEADLINE_MS_DEFAULT,
  SERVICE_MEMORY_BYTES_DEFAULT,
  type ServiceManifest,
} from "../../protocol/abi.ts";
import { failureResponse, invokeService, type InvokeTarget } from "../guest/invoke.ts";
import { ServiceMetrics } from "../guest/metrics.ts";
import { InstancePool } from "../guest/pool.ts";
import { checkRouteCollisions } from "../guest/route_overlap.ts";
import { scopedStore } from "../guest/sandbox.ts";
import {
  instanceFactory,
  restoreUpload,
  type ServiceUpload,
  storedUpload,
  validateUpload,
} from "./upload.ts";

export { type ServiceUpload, validateUpload } from "./upload.ts";

/** The system store of deployed services. */
export const SERVICES_STORE = "sysservices";

/** Options of a registry. */
export interface RegistryOptions {
  deadlineMs?: number;
  memoryBytes?: number;
  log?: (line: string) => void;
}

/** One deployed version. */
export class ServiceVersion {
  readonly manifest: ServiceManifest;
  readonly pool: InstancePool;
  readonly deployedAt: Date;
  inFlight = 0;
  retired = false;
  /** What its requests run with (set when the registry prepares it). */
  target: InvokeTarget | undefined;
  constructor(manifest: ServiceManifest, pool: InstancePool, deployedAt: Date) {
    this.manifest = manifest;
    this.pool = pool;
    this.deployedAt = deployedAt;
  }
}

/** The deployed services of one database. */
export class ServiceRegistry {
  readonly #db: Database;
  readonly #deadlineMs: number;
  readonly #memoryBytes: number;
  readonly #log: (line: string) => void;
  readonly #active = new Map<string, ServiceVersion>();
  readonly #metrics = new ServiceMetrics();
  /** Called after the set of current versions changed (deploy, undeploy, close). */
  readonly onChange = new Set<() => void>();
  /** More sections of `metrics()` (the SSE hub, service subscriptions), by name. */
  readonly metricSources = new Map<string, () => unknown>();
  #generation = 0;
  #switching: Promise<unknown> = Promise.resolve();

  private constructor(db: Database, options: RegistryOptions) {
    this.#db = db;
    this.#deadlineMs = options.deadlineMs ?? SERVICE_DEADLINE_MS_DEFAULT;
    this.#memoryBytes = options.memoryBytes ?? SERVICE_MEMORY_BYTES_DEFAULT;
    this.#log = options.log ?? ((line) => console.log(line));
  }

  /** Opens the registry and brings back every stored service (one that fails to load is logged and skipped). */
  static async open(db: Database, options: RegistryOptions = {}): Promise<ServiceRegistry> {
    const registry = new ServiceRegistry(db, options);
    await db.createStore(SERVICES_STORE, { system: true, ifNotExists: true });
    const stored = [...db.scan(db.storeInfo(SERVICES_STORE).id)];
    for (const [, bytes] of stored) {
      const doc = decodeDocument(bytes) as Record<string, unknown> & { deployedAt: Date };
      try {
        const upload = await restoreUpload(doc);
        const { manifest } = upload;
        await registry.#activate(upload, doc.deployedAt);
        registry.#log(`planck: service "${manifest.name}" ${manifest.version} (${manifest.tier}) loaded`);
      } catch (error) {
        registry.#log(`planck: a stored service failed to load: ${(error as Error).message}`);
      }
    }
    return registry;
  }

  /**
   * Brings the running services in line with the stored ones (a replica applied a deploy or undeploy
   * from its primary): loads new or redeployed services, retires removed ones; persists nothing.
   */
  reload(): Promise<void> {
    const run = this.#switching.then(async () => {
      const stored = new Map<string, Record<string, unknown> & { deployedAt: Date }>();
      for (const [, bytes] of this.#db.scan(this.#db.storeInfo(SERVICES_STORE).id)) {
        const doc = decodeDocument(bytes) as Record<string, unknown> & { deployedAt: Date };
        if (typeof doc.name === "string") stored.set(doc.name, doc);
      }
      for (const [name, version] of [...this.#active]) {
        if (stored.has(name)) continue;
        this.#active.delete(name);
        this.#generation++;
        this.#metrics.forget(name);
        this.#retire(version);
        this.#log(`planck: service "${name}" removed (replicated undeploy)`);
      }
      for (const [name, doc] of stored) {
        const current = this.#active.get(name);
        if (current !== undefined && current.deployedAt.getTime() === doc.deployedAt.getTime()) continue;
        try {
          const upload = await restoreUpload(doc);
          await this.#activate(upload, doc.deployedAt);
          this.#log(`planck: service "${name}" ${upload.manifest.version} loaded (replicated deploy)`);
        } catch (error) {
          this.#log(`planck: a replicated service failed to load: ${(error as Error).message}`);
        }
      }
    });
    this.#switching = run.catch(() => {});
    return run;
  }

  /** Validates, warms and switches to `wasm`; persists it. @throws PlanckError */
  deploy(wasm: Uint8Array): Promise<ServiceManifest> {
    const run = this.#switching.then(async () => {
      const upload = await validateUpload(wasm);
      const deployedAt = new Date();
      const version = await this.#prepare(upload, deployedAt);
      await this.#persist(upload, deployedAt);
      this.#switchTo(version);
      this.#log(`planck: deployed service "${upload.manifest.name}" ${upload.manifest.version}`);
      return upload.manifest;
    });
    this.#switching = run.catch(() => {});
    return run;
  }

  /** Removes a service; false when none has that name. */
  undeploy(name: string): Promise<boolean> {
    const run = this.#switching.then(async () => {
      const version = this.#active.get(name);
      if (version === undefined) return false;
      const key = await serviceKey(name);
      await transaction(this.#db, (tx) => tx.store(SERVICES_STORE).delete(key));
      this.#active.delete(name);
      this.#generation++;
      this.#changed();
      this.#metrics.forget(name);
      this.#retire(version);
      this.#log(`planck: undeployed service "${name}"`);
      return true;
    });
    this.#switching = run.catch(() => {});
    return run;
  }

  /** The manifests of the current versions, in deploy order (the scheduler reads their schedules). */
  manifests(): ServiceManifest[] {
    return [...this.#active.values()].map((v) => v.manifest);
  }

  /** Deployed services with their routes and pool counters. */
  list(): Record<string, unknown>[] {
    return [...this.#active.values()].map((v) => ({
      name: v.manifest.name,
      version: v.manifest.version,
      tier: v.manifest.tier,
      prefix: v.manifest.prefix,
      routes: v.manifest.routes,
      deployedAt: v.deployedAt,
      pool: v.pool.stats(),
    }));
  }

  /** Changes whenever the set of current versions does (deploy, undeploy, close). */
  get generation(): number {
    return this.#generation;
  }

  /** The current versions, in deploy order. */
  versions(): ServiceVersion[] {
    return [...this.#active.values()];
  }

  /** Per-route metrics with each service's pool size. */
  metrics(): Record<string, unknown> {
    const services = [...this.#active.values()].map((v) => ({
      name: v.manifest.name,
      version: v.manifest.version,
      tier: v.manifest.tier,
      pool: v.pool.stats(),
    }));
    const out: Record<string, unknown> = { services, routes: this.#metrics.snapshot() };
    for (const [name, source] of this.metricSources) out[name] = source();
    return out;
  }

  /** Runs `request` on the current version of `name`; `route` labels its metrics. */
  async dispatch(name: string, request: GuestRequest, route = "(unrouted)"): Promise<GuestResponse> {
    const version = this.#active.get(name);
    if (version === undefined) return { status: 404, headers: [], body: "Not found\n" };
    version.inFlight++;
    const started = performance.now();
    const target = version.target ??= {
      db: this.#db,
      service: name,
      pool: version.pool,
      deadlineMs: this.#deadlineMs,
      log: this.#log,
      onFault: (kind, route) => this.#metrics.fault(name, route, kind),
    };
    let status = 500;
    try {
      const response = await invokeService(target, request, route);
      status = response.status;
      return response;
    } catch (error) {
      return failureResponse(target, request.id, error);
    } finally {
      this.#metrics.record(name, route, performance.now() - started, status);
      version.inFlight--;
      if (version.retired && version.inFlight === 0) void version.pool.close();
    }
  }

  /** Closes every pool (after in-flight requests). */
  async close(): Promise<void> {
    await this.#switching;
    for (const version of this.#active.values()) this.#retire(version);
    this.#active.clear();
    this.#generation++;
    this.#changed();
  }

  #changed(): void {
    for (const listener of this.onChange) listener();
  }

  async #activate(upload: ServiceUpload, deployedAt: Date): Promise<void> {
    this.#switchTo(await this.#prepare(upload, deployedAt));
  }

  /** Warms a pool and creates the declared stores and indexes; changes nothing visible. */
  async #prepare(upload: ServiceUpload, deployedAt: Date): Promise<ServiceVersion> {
    const { manifest } = upload;
    checkRouteCollisions(manifest, [...this.#active.values()].map((v) => v.manifest));
    checkTopicCollisions(manifest, [...this.#active.values()].map((v) => v.manifest));
    const pool = new InstancePool(instanceFactory(upload, { memoryBytes: this.#memoryBytes }));
    try {
      await pool.warm();
    } catch (error) {
      await pool.close();
      throw new PlanckError(
        "invalid_argument",
        `Service "${manifest.name}" does not start: ${(error as Error).message}`,
      );
    }
    for (const index of manifest.indexes) {
      const store = scopedStore(manifest.name, index.store);
      await this.#db.createStore(store, { ifNotExists: true });
      await this.#db.createIndex(scopedStore(manifest.name, index.name), store, index.fields, {
        unique: index.unique === true,
        ifNotExists: true,
      });
    }
    return new ServiceVersion(manifest, pool, deployedAt);
  }

  async #persist(upload: ServiceUpload, deployedAt: Date): Promise<void> {
    const doc = { ...storedUpload(upload), deployedAt };
    const key = await serviceKey(upload.manifest.name);
    await transaction(this.#db, (tx) => tx.store(SERVICES_STORE).put(key, doc));
  }

  /** The atomic switch: new requests see `version` from here on. */
  #switchTo(version: ServiceVersion): void {
    const previous = this.#active.get(version.manifest.name);
    this.#active.delete(version.manifest.name);
    this.#active.set(version.manifest.name, version);
    this.#generation++;
    this.#changed();
    if (previous !== undefined) this.#retire(previous);
  }

  #retire(version: ServiceVersion): void {
    version.retired = true;
    if (version.inFlight === 0) void version.pool.close();
  }
}

/**
 * Refuses a topic name another deployed service declares (`GET /events?topic=NAME` names one topic
 * per instance). @throws PlanckError `conflict`
 */
function checkTopicCollisions(manifest: ServiceManifest, others: ServiceManifest[]): void {
  for (const other of others) {
    if (other.name === manifest.name) continue;
    for (const topic of manifest.topics ?? []) {
      if (!(other.topics ?? []).some((t) => t.name === topic.name)) continue;
      throw new PlanckError(
        "conflict",
        `Topic "${topic.name}" of service "${manifest.name}" is already declared by service "${other.name}"`,
        { field: "topics" },
      );
    }
  }
}

/** The key of a service's record: the first 128 bits of SHA-256 of its name. */
async function serviceKey(name: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name));
  return bytesToHex(new Uint8Array(digest).subarray(0, 16));
}
