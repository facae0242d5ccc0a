/**
 * `planck deploy FILE` and `planck undeploy NAME` against a running server (admin credentials
 * from --connect or `<data>/admin.credentials`), and `planck services` to list what is deployed.
 */
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { jsonLine } from "./output.ts";
import { closeTarget, openTarget, TARGET_FLAGS } from "./target.ts";

export const DEPLOY_USAGE = `planck deploy FILE.wasm [--connect STR | --data DIR] [--timeout MS]

  Uploads a service built by "planck build" to a running server (admin). The server checks its
  size, sections, ABI version and engine pin, warms its pool and switches to it atomically:
  requests in flight finish on the previous version.`;

export const UNDEPLOY_USAGE = `planck undeploy NAME [--connect STR | --data DIR] [--timeout MS]

  Removes a deployed service (its stores stay).`;

export const SERVICES_USAGE = `planck services [--connect STR | --data DIR] [--timeout MS]

  Lists the deployed services as JSON lines.`;

async function withServer(
  args: string[],
  positionals: number,
  fn: (client: RemoteClient, rest: string[]) => Promise<number>,
): Promise<number> {
  const parsed = parseArgs(args, { flags: TARGET_FLAGS });
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(positionals === 0 ? "no arguments expected" : "expected one argument");
  }
  const target = await openTarget(parsed, { local: false });
  try {
    if (target.kind !== "remote") throw new UsageError("this command needs a running server");
    return await fn(target.client, parsed.positionals);
  } finally {
    await closeTarget(target);
  }
}

type RemoteClient = {
  request(op: string, fields?: Record<string, unknown>, options?: { timeoutMs?: number }): Promise<unknown>;
};

/** Runs `planck deploy`. */
export function runDeploy(args: string[]): Promise<number> {
  return withServer(args, 1, async (client, [file]) => {
    const wasm = await readWasm(file);
    const result = await client.request("deploy", { wasm }, { timeoutMs: 60_000 }) as {
      name: string;
      version: string;
      routes: unknown[];
    };
    console.log(`planck: deployed "${result.name}" ${result.version} (${result.routes.length} routes)`);
    return EXIT.ok;
  });
}

/** Runs `planck undeploy`. */
export function runUndeploy(args: string[]): Promise<number> {
  return withServer(args, 1, async (client, [name]) => {
    const result = await client.request("undeploy", { name }) as { undeployed: boolean };
    if (!result.undeployed) {
      console.error(`planck: no service "${name}" is deployed`);
      return EXIT.failed;
    }
    console.log(`planck: undeployed "${name}"`);
    return EXIT.ok;
  });
}

/** Runs `planck services`. */
export function runServices(args: string[]): Promise<number> {
  return withServer(args, 0, async (client) => {
    const result = await client.request("services") as { services: unknown[] };
    for (const service of result.services) console.log(jsonLine(service));
    return EXIT.ok;
  });
}

/** The bytes of FILE. @throws UsageError naming the file (and `planck build` when it is missing) */
async function readWasm(file: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(
        `no file "${file}": build it first with "planck build DIR", which prints its path`,
      );
    }
    throw new UsageError(`cannot read "${file}": ${(error as Error).message}`);
  }
}
