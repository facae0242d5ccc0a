/**
 * Test helper: an in-process Planck with the workbench on free ports over a temp data dir, and
 * the admin's key; `basic` builds an Authorization header.
 */
import { defaultConfig } from "../../host/config.ts";
import type { Config } from "../../host/config_keys.ts";
import { type PlanckServer, startServer } from "../../host/server/server.ts";
import { createWorkbench } from "../../workbench/mod.ts";

/** A running server with its workbench. */
export interface WorkbenchServer {
  server: PlanckServer;
  /** e.g. "http://127.0.0.1:41234" */
  base: string;
  adminKey: string;
  dataDir: string;
}

/** Runs `fn` against a fresh server; stops it and removes its directory afterwards. */
export async function withWorkbench(
  fn: (t: WorkbenchServer) => Promise<void>,
  configure: (config: Config) => void = () => {},
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_workbench_" });
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  config.shutdown.drainTimeoutMs = 1_000;
  configure(config);
  const server = await startServer(config, { log: () => {}, signals: false, workbench: createWorkbench });
  try {
    const adminKey = /key=([^;\s]+)/.exec(server.adminConnection!)![1];
    await fn({ server, base: `http://127.0.0.1:${server.ports.workbench}`, adminKey, dataDir });
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** `Authorization: Basic base64(user:key)`. */
export function basic(user: string, key: string): Record<string, string> {
  return { authorization: `Basic ${btoa(`${user}:${key}`)}` };
}
