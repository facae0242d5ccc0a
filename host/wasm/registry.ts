/**
 * Deployed services: validation of an upload (size, sections, ABI version, engine pin), warm
 * pools, the atomic switch between versions, undeploy, persistence in the system store
 * "sysservices" (reloaded at start), and dispatch of HTTP requests to a service's current version.
 *
 * Invariants: a deploy either fully replaces the previous version or changes nothing; a request
 * runs to its end on the version it started on (the old pool closes once its last request is
 * done); the stored record holds the bundle and manifest only — the host always runs its own
 * pinned engine.
 */
import type { Database } from "../../engine/database.ts";
import { decodeDocument } from "../../engine/document.ts";
import { PlanckError } from "../../engine/errors.ts";
import { transaction } from "../../engine/transaction.ts";
import {
  type EnginePin,
  type GuestRequest,
  type GuestResponse,
  parseManifest,
  SECTION_ENGINE,
  SECTION_JS,
  SECTION_MANIFEST,
  SERVICE_BYTES_MAX,
  type ServiceManifest,
} from "./abi.ts";
import { failureResponse, invokeService } from "./invoke.ts";
import { InstancePool } from "./pool.ts";
import { enginePin } from "./runtime.ts";
import { scopedStore } from "./sandbox.ts";
import { readCustomSections } from "./sections.ts";

/** The system store of deployed services. */
export const SERVICES_STORE = "sysservices";
/** Default per-request deadline. */
export const DEADLINE_MS_DEFAULT = 5_000;
/** Default per-instance memory cap. */
export const MEMORY_BYTES_DEFAULT = 64 * 1024 * 1024;

/** Options of a registry. */
export interface RegistryOptions {
  deadlineMs?: number;
  memoryBytes?: number;
  log?: (line: string) => void;
}

/** A validated upload. */
export interface ServiceUpload {
  manifest: ServiceManifest;
  bundle: string;
}

/** One deployed version. */
export class ServiceVersion {
  readonly manifest: ServiceManifest;
  readonly pool: InstancePool;
  readonly deployedAt: Date;
  inFlight = 0;
  retired = false;
  constructor(manifest: ServiceManifest, pool: InstancePool, deployedAt: Date) {
    this.manifest = manifest;
    this.pool = pool;
    this.deployedAt = deployedAt;
  }
}

function mismatch(field: string, got: string, want: string): never {
  throw new PlanckError(
    "invalid_argument",
    `Engine mismatch: the service was built for ${field} ${got} but this host runs ${want}; ` +
      `rebuild it with this host's "planck build"`,
    { field: "engine" },
  );
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks an uploaded `.wasm`. @throws PlanckError `limit_exceeded` or `invalid_argument` naming the problem */
export async function validateUpload(wasm: Uint8Array): Promise<ServiceUpload> {
  if (wasm.length > SERVICE_BYTES_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Service too large: ${wasm.length} bytes (the limit is ${SERVICE_BYTES_MAX})`,
      { limit: "SERVICE_BYTES_MAX" },
    );
  }
  const sections = readCustomSections(wasm);
  const one = (name: string) => {
    const found = sections.filter((s) => s.name === name);
    if (found.length !== 1) {
      throw new PlanckError(
        "invalid_argument",
        `Invalid service: expected one "${name}" custom section, found ${found.length} (build it with "planck build")`,
        { field: name },
      );
    }
    return found[0];
  };
  const decoder = new TextDecoder();
  const manifest = parseManifest(decoder.decode(one(SECTION_MANIFEST).payload));
  const engine = one(SECTION_ENGINE);
  const bundle = decoder.decode(one(SECTION_JS).payload);
  let pin: EnginePin;
  try {
    pin = JSON.parse(decoder.decode(engine.payload));
  } catch {
    throw new PlanckError("invalid_argument", `Invalid service: "${SECTION_ENGINE}" is not JSON`, {
      field: "engine",
    });
  }
  const host = await enginePin();
  if (pin.package !== host.package || pin.version !== host.version) {
    mismatch("engine", `${pin.package}@${pin.version}`, `${host.package}@${host.version}`);
  }
  if (pin.sha256 !== host.sha256) mismatch("engine sha256", pin.sha256, host.sha256);
  const first = Math.min(...sections.filter((s) => s.name.startsWith("planck.")).map((s) => s.offset));
  const actual = await sha256Hex(wasm.subarray(0, first));
  if (actual !== host.sha256) mismatch("engine bytes with sha256", actual, host.sha256);
  return { manifest, bundle };
}

/** The deployed services of one database. */
export class ServiceRegistry {
  readonly #db: Database;
  readonly #deadlineMs: number;
  readonly #memoryBytes: number;
  readonly #log: (line: string) => void;
  readonly #active = new Map<string, ServiceVersion>();
  #switching: Promise<unknown> = Promise.resolve();

  private constructor(db: Database, options: RegistryOptions) {
    this.#db = db;
    this.#deadlineMs = options.deadlineMs ?? DEADLINE_MS_DEFAULT;
    this.#memoryBytes = options.memoryBytes ?? MEMORY_BYTES_DEFAULT;
    this.#log = options.log ?? ((line) => console.log(line));
  }

  /** Opens the registry and brings back every stored service (one that fails to load is logged and skipped). */
  static async open(db: Database, options: RegistryOptions = {}): Promise<ServiceRegistry> {
    const registry = new ServiceRegistry(db, options);
    await db.createStore(SERVICES_STORE, { system: true, ifNotExists: true });
    const stored = [...db.scan(db.storeInfo(SERVICES_STORE).id)];
    for (const [, bytes] of stored) {
      const doc = decodeDocument(bytes) as { manifest: string; bundle: string; deployedAt: Date };
      try {
        const manifest = parseManifest(doc.manifest);
        await registry.#activate({ manifest, bundle: doc.bundle }, doc.deployedAt);
        registry.#log(`planck: service "${manifest.name}" ${manifest.version} loaded`);
      } catch (error) {
        registry.#log(`planck: a stored service failed to load: ${(error as Error).message}`);
      }
    }
    return registry;
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
      this.#retire(version);
      this.#log(`planck: undeployed service "${name}"`);
      return true;
    });
    this.#switching = run.catch(() => {});
    return run;
  }

  /** Deployed services with their routes and pool counters. */
  list(): Record<string, unknown>[] {
    return [...this.#active.values()].map((v) => ({
      name: v.manifest.name,
      version: v.manifest.version,
      routes: v.manifest.routes,
      deployedAt: v.deployedAt,
      pool: v.pool.stats(),
    }));
  }

  /** The current versions, in deploy order. */
  versions(): ServiceVersion[] {
    return [...this.#active.values()];
  }

  /** Runs `request` on the current version of `name`. */
  async dispatch(name: string, request: GuestRequest): Promise<GuestResponse> {
    const version = this.#active.get(name);
    if (version === undefined) return { status: 404, headers: [], body: "Not found\n" };
    version.inFlight++;
    const target = {
      db: this.#db,
      service: name,
      pool: version.pool,
      deadlineMs: this.#deadlineMs,
      log: this.#log,
    };
    try {
      return await invokeService(target, request);
    } catch (error) {
      return failureResponse(target, request.id, error);
    } finally {
      version.inFlight--;
      if (version.retired && version.inFlight === 0) void version.pool.close();
    }
  }

  /** Closes every pool (after in-flight requests). */
  async close(): Promise<void> {
    await this.#switching;
    for (const version of this.#active.values()) this.#retire(version);
    this.#active.clear();
  }

  async #activate(upload: ServiceUpload, deployedAt: Date): Promise<void> {
    this.#switchTo(await this.#prepare(upload, deployedAt));
  }

  /** Warms a pool and creates the declared stores and indexes; changes nothing visible. */
  async #prepare(upload: ServiceUpload, deployedAt: Date): Promise<ServiceVersion> {
    const { manifest } = upload;
    this.#checkRoutes(manifest);
    const pool = new InstancePool(upload.bundle, { memoryBytes: this.#memoryBytes });
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

  #checkRoutes(manifest: ServiceManifest): void {
    for (const [name, other] of this.#active) {
      if (name === manifest.name) continue;
      for (const route of manifest.routes) {
        const clash = other.manifest.routes.find((r) =>
          r.path === route.path && (r.method === route.method || r.method === "ALL" || route.method === "ALL")
        );
        if (clash !== undefined) {
          throw new PlanckError(
            "conflict",
            `Route ${route.method} ${route.path} of service "${manifest.name}" is already served by "${name}"`,
            { field: "routes" },
          );
        }
      }
    }
  }

  async #persist(upload: ServiceUpload, deployedAt: Date): Promise<void> {
    const doc = {
      name: upload.manifest.name,
      manifest: JSON.stringify(upload.manifest),
      bundle: upload.bundle,
      deployedAt,
    };
    const key = await serviceKey(upload.manifest.name);
    await transaction(this.#db, (tx) => tx.store(SERVICES_STORE).put(key, doc));
  }

  /** The atomic switch: new requests see `version` from here on. */
  #switchTo(version: ServiceVersion): void {
    const previous = this.#active.get(version.manifest.name);
    this.#active.delete(version.manifest.name);
    this.#active.set(version.manifest.name, version);
    if (previous !== undefined) this.#retire(previous);
  }

  #retire(version: ServiceVersion): void {
    version.retired = true;
    if (version.inFlight === 0) void version.pool.close();
  }
}

/** The key of a service's record: the first 128 bits of SHA-256 of its name. */
async function serviceKey(name: string): Promise<string> {
  return (await sha256Hex(new TextEncoder().encode(name))).slice(0, 32);
}
