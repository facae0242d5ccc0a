/**
 * `planck dev [DIR]`: the edit loop. Attaches to the server of `--connect`, or to one running on
 * DIR/.planck-data, else starts Planck in this process on DIR/.planck-data (a default port that is
 * taken, e.g. by a `planck start` beside it, is replaced by a free one); builds and
 * deploys the service in DIR, then watches DIR: every save rebuilds and redeploys (the deploy op
 * switches atomically; requests in flight finish on the old version), and pages that load
 * `/_planck/assets/dev-reload.js` swap in the new version through the dev events stream.
 *
 * Type checking runs after each deploy, not before it: the bundle (esbuild strips types) is deployed
 * first so a save is live in well under a second, then `deno check` (cli/type_check.ts, about 2 s
 * after an edit, 0.3 s with nothing changed) reports type errors as file:line:column; a newer save drops an older
 * check's report. `--no-check` turns it off. `planck build` checks before it writes anything.
 *
 * Build errors print as file:line:column and leave the running version in place; a handler that
 * fails is logged by the (in-process) server with its request id and the guest's stack.
 *
 * Invariants: one build at a time; a change during a build queues exactly one more; Ctrl-C stops
 * the watcher and an in-process server gracefully.
 */
import * as path from "node:path";
import { connect, type PlanckClient } from "../client/mod.ts";
import { formatConnectionString } from "../client/mod.ts";
import { type ConfigOverride, loadConfig } from "../host/config.ts";
import { readCredentials } from "../host/credentials.ts";
import { type PlanckServer, startServer } from "../host/server/server.ts";
import { buildService, serviceEntry } from "../host/wasm/build.ts";
import { createWorkbench } from "../workbench/mod.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { typeCheck } from "./type_check.ts";

export const DEV_USAGE = `planck dev [DIR] [--data DIR] [--connect STR] [--http-port N] [--wire-port N]
                  [--workbench-port N] [--no-check]

  Builds and deploys the service in DIR (default ".") to a local Planck — --connect's, else one
  running on DIR/.planck-data, else one started in this process on DIR/.planck-data (--data to
  pick the directory; the port flags apply to a started one, and a default port already taken
  is replaced by a free one) — and
  rebuilds and redeploys on every change to DIR's files. Build errors print as file:line:column;
  after each deploy the entry is type-checked (errors as file:line:column; --no-check skips it);
  pages that load /_planck/assets/dev-reload.js follow each deploy without a reload. Ctrl-C stops.`;

/** Files whose change does not trigger a rebuild. */
const IGNORED = /(^|[/\\])(\.planck-data|node_modules|\.git)([/\\]|$)|\.wasm$|~$|\.swp$/;
/** Quiet time after a change before rebuilding, in milliseconds (editors write in bursts). */
const DEV_DEBOUNCE_MS = 40;

const PORT_FLAGS: Record<string, string> = {
  "--http-port": "ports.http",
  "--wire-port": "ports.wire",
  "--workbench-port": "ports.workbench",
};

/** The default ports; a busy one (e.g. `planck start` running beside) is replaced by a free one. */
const DEFAULT_PORTS: Record<string, number> = {
  "--http-port": 3000,
  "--wire-port": 23469,
  "--workbench-port": 2369,
};

function inUse(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch {
    return true;
  }
}

interface Session {
  client: PlanckClient;
  server: PlanckServer | undefined;
  httpBase: string | undefined;
  /** Type-check after each deploy. */
  check?: boolean;
  /** The check running now, awaited before the session closes. */
  checking?: Promise<void>;
}

/** Runs `planck dev`; resolves when stopped (Ctrl-C / SIGTERM). */
export async function runDev(args: string[], options: { signal?: AbortSignal } = {}): Promise<number> {
  const parsed = parseArgs(args, {
    flags: ["--data", "--connect", ...Object.keys(PORT_FLAGS)],
    switches: ["--no-check"],
  });
  if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument "${parsed.positionals[1]}"`);
  const dir = path.resolve(parsed.positionals[0] ?? ".");
  try {
    if (!(await Deno.stat(dir)).isDirectory) throw new UsageError(`"${dir}" is not a directory`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UsageError(`no directory "${dir}"`);
    throw error;
  }
  const session = await open(dir, parsed.flags);
  session.check = !parsed.switches.has("--no-check");
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  options.signal?.addEventListener("abort", onSignal, { once: true });
  if (options.signal === undefined) {
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
  }
  try {
    await rebuild(dir, session, "first build");
    if (session.httpBase !== undefined) console.log(`planck: dev: open ${session.httpBase}/`);
    console.log(`planck: dev: watching ${dir} (Ctrl-C stops)`);
    await watch(dir, stop.signal, (changed) => rebuild(dir, session, changed));
  } finally {
    if (options.signal === undefined) {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    }
    await session.checking;
    session.client.close();
    await session.server?.stop();
  }
  return EXIT.ok;
}

/** Attaches to --connect, or to a server running on the dev data dir, or starts one in-process. */
async function open(dir: string, flags: Map<string, string>): Promise<Session> {
  const connection = flags.get("--connect");
  if (connection !== undefined) return await attached(await connect(connection, { connectTimeoutMs: 2_000 }));
  const dataDir = flags.get("--data") ?? path.join(dir, ".planck-data");
  const saved = await readCredentials(dataDir);
  if (saved !== undefined) {
    try {
      const client = await connect(formatConnectionString(saved), { connectTimeoutMs: 300 });
      console.log(`planck: dev: attached to the server running on ${dataDir}`);
      return await attached(client);
    } catch {
      // nothing is running there
    }
  }
  const overrides: ConfigOverride[] = [{ key: "data_dir", value: dataDir, flag: "--data" }];
  for (const [flag, key] of Object.entries(PORT_FLAGS)) {
    const value = flags.get(flag) ?? (inUse(DEFAULT_PORTS[flag]) ? "0" : undefined);
    if (value !== undefined) overrides.push({ key, value, flag });
  }
  let config;
  try {
    config = await loadConfig({ overrides });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const server = await startServer(config, { signals: false, workbench: createWorkbench });
  const admin = server.adminConnection ?? formatConnectionString((await readCredentials(dataDir))!);
  const client = await connect(admin);
  return { client, server, httpBase: `http://127.0.0.1:${server.ports.http}` };
}

/** A session on a server this process did not start (its app port read from `stats`). */
async function attached(client: PlanckClient): Promise<Session> {
  const stats = await client.request("stats") as { server?: { ports?: { http?: number } } };
  const http = stats.server?.ports?.http;
  return { client, server: undefined, httpBase: http === undefined ? undefined : `http://127.0.0.1:${http}` };
}

let builds = 0;

/** Builds and deploys; a failure is printed and leaves the deployed version running. */
async function rebuild(dir: string, session: Session, why: string): Promise<void> {
  const started = performance.now();
  let phase = "build";
  try {
    const built = await buildService(dir);
    const builtMs = performance.now() - started;
    phase = "deploy";
    await session.client.request("deploy", { wasm: built.wasm }, { timeoutMs: 60_000 });
    const totalMs = performance.now() - started;
    builds++;
    console.log(
      `planck: dev: deployed "${built.manifest.name}" #${builds} (${why}) in ${Math.round(totalMs)} ms ` +
        `(build ${Math.round(builtMs)} ms, ${built.manifest.routes.length} routes)`,
    );
    if (session.check) {
      const previous = session.checking ?? Promise.resolve();
      const build = builds;
      session.checking = previous.then(() => checkAfterDeploy(dir, build));
    }
  } catch (error) {
    console.error(`planck: dev: ${phase} failed (${why}); the previous version keeps running:`);
    console.error((error as Error).message);
  }
}

/** Type-checks the entry; prints the result unless a newer deploy happened meanwhile. */
async function checkAfterDeploy(dir: string, build: number): Promise<void> {
  if (build !== builds) return; // a newer deploy's check follows
  const started = performance.now();
  try {
    await typeCheck(await serviceEntry(dir));
    if (build === builds) {
      console.log(`planck: dev: #${build} type-checked in ${Math.round(performance.now() - started)} ms`);
    }
  } catch (error) {
    if (build !== builds) return;
    console.error(`planck: dev: #${build} is deployed but does not type-check:`);
    console.error((error as Error).message);
  }
}

/** Calls `onChange` (never two at once) after each burst of changes under `dir`, until `signal`. */
async function watch(
  dir: string,
  signal: AbortSignal,
  onChange: (file: string) => Promise<void>,
): Promise<void> {
  const watcher = Deno.watchFs(dir, { recursive: true });
  signal.addEventListener("abort", () => watcher.close(), { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: string | undefined;
  let running: Promise<void> | undefined;
  const fire = () => {
    if (running !== undefined || pending === undefined) return;
    const file = pending;
    pending = undefined;
    running = onChange(file).finally(() => {
      running = undefined;
      if (pending !== undefined) timer = setTimeout(fire, DEV_DEBOUNCE_MS);
    });
  };
  for await (const event of watcher) {
    const files = event.paths.map((p) => path.relative(dir, p)).filter((p) => !IGNORED.test(p));
    if (files.length === 0 || event.kind === "access") continue;
    pending = files[files.length - 1];
    clearTimeout(timer);
    timer = setTimeout(fire, DEV_DEBOUNCE_MS);
  }
  clearTimeout(timer);
  await running;
}
