/**
 * Tests for service authors: `startService(dir)` builds the service in `dir` exactly as
 * `planck build` does, starts a real Planck in this process (temp data directory, free ports on
 * 127.0.0.1), deploys the `.wasm` over the wire and hands back its base URL, so a test drives the
 * service with `fetch` through the same host, QuickJS engine and stores as production.
 *
 * @example
 * ```ts
 * import { startService } from "planck/testing.ts";
 * Deno.test("home page", async () => {
 *   await using service = await startService(new URL(".", import.meta.url).pathname);
 *   const page = await fetch(service.url("/"));
 *   console.assert(page.status === 200);
 *   await page.body?.cancel();
 * });
 * ```
 *
 * Invariants: everything a test starts is stopped, and its data directory removed, by `stop()`
 * (or `await using`), also when the build or the deploy fails.
 */
import { connect, type PlanckClient } from "./client/mod.ts";
import { defaultConfig } from "./host/config.ts";
import { startServer } from "./host/server/server.ts";
import { buildService } from "./host/wasm/build.ts";

/** A service running in an in-process Planck. */
export interface TestService extends AsyncDisposable {
  /** Base URL of the app HTTP port, e.g. `http://127.0.0.1:40123`. */
  readonly base: string;
  /** The admin connection string of the instance. */
  readonly admin: string;
  /** `base` + `path`. */
  url(path: string): string;
  /** A wire client (admin) on the instance; closed by `stop()`. */
  client(): Promise<PlanckClient>;
  /** Deploys more services (built from their directories) into the same instance. */
  deploy(dir: string): Promise<void>;
  /** Stops the instance and removes its data directory. */
  stop(): Promise<void>;
}

/** Builds and deploys the service in `dir` (or several) on a fresh in-process instance. */
export async function startService(dir: string | string[]): Promise<TestService> {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_service_test_" });
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  config.shutdown.drainTimeoutMs = 2_000;
  const server = await startServer(config, { log: () => {}, signals: false });
  const admin = server.adminConnection!;
  const clients: PlanckClient[] = [];
  const stop = async () => {
    for (const c of clients) c.close();
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  };
  const deploy = async (serviceDir: string) => {
    const built = await buildService(serviceDir);
    const client = await connect(admin);
    try {
      await client.request("deploy", { wasm: built.wasm });
    } finally {
      client.close();
    }
  };
  try {
    for (const d of typeof dir === "string" ? [dir] : dir) await deploy(d);
  } catch (error) {
    await stop();
    throw error;
  }
  const base = `http://127.0.0.1:${server.ports.http}`;
  return {
    base,
    admin,
    url: (path) => base + path,
    client: async () => {
      const client = await connect(admin);
      clients.push(client);
      return client;
    },
    deploy,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
