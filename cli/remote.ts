/**
 * `--remote URL`: `planck deploy|undeploy|services|status|logs` against a server's workbench HTTP
 * API (docs/workbench.md) instead of the wire port. Credentials: `--user`/`--key`, else the profile
 * (`--profile NAME`, default the one whose url is URL, else "default") in
 * `~/.config/planck/profiles`, which must be mode 0600 (a looser mode is refused, named).
 * `planck profile set NAME --remote URL --user U --key K` writes it (creating it 0600).
 *
 * Profiles file: one section per profile, `[NAME]` then `url = …`, `user = …`, `key = …` lines;
 * `#` starts a comment.
 *
 * Invariants: the key never appears in an error message; an unreachable host is exit 3, a refused
 * key exit 4, a server of another Planck version a warning (and its deploy error, if any, says so).
 */
import * as path from "node:path";
import { PLANCK_VERSION } from "../host/version.ts";
import { EXIT, parseArgs, type ParsedArgs, UsageError } from "./args.ts";
import { jsonLine } from "./output.ts";

/** Flags a remote command accepts. */
export const REMOTE_FLAGS = ["--remote", "--profile", "--user", "--key", "--timeout"] as const;

/** Mode of the profiles file: owner read/write only. */
const PROFILES_MODE = 0o600;

/** A failure of a remote call, with the exit code it maps to. */
export class RemoteError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "RemoteError";
    this.exitCode = exitCode;
  }
}

interface Profile {
  url?: string;
  user?: string;
  key?: string;
}

/** Path of the profiles file ($XDG_CONFIG_HOME or ~/.config). */
export function profilesPath(): string {
  const base = Deno.env.get("XDG_CONFIG_HOME") ?? path.join(Deno.env.get("HOME") ?? ".", ".config");
  return path.join(base, "planck", "profiles");
}

/** Parses the profiles file. */
export function parseProfiles(text: string): Map<string, Profile> {
  const out = new Map<string, Profile>();
  let current: Profile | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section !== null) {
      current = {};
      out.set(section[1].trim(), current);
      continue;
    }
    const pair = /^(url|user|key)\s*=\s*(.*)$/.exec(line);
    if (pair === null || current === undefined) {
      throw new UsageError(`${profilesPath()}:${i + 1}: expected "[name]" or "url|user|key = value"`);
    }
    current[pair[1] as keyof Profile] = pair[2].trim();
  }
  return out;
}

async function readProfiles(): Promise<Map<string, Profile>> {
  const file = profilesPath();
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new UsageError(
      `"${file}" holds keys but is readable by others (mode ${(info.mode & 0o777).toString(8)}): ` +
        `run "chmod 600 ${file}"`,
    );
  }
  return parseProfiles(await Deno.readTextFile(file));
}

/** The URL and credentials of a remote command. @throws UsageError */
export async function resolve(parsed: ParsedArgs): Promise<{ url: string; user: string; key: string }> {
  const url = parsed.flags.get("--remote")!.replace(/\/+$/, "");
  if (!/^https?:\/\//.test(url)) {
    throw new UsageError(`--remote needs an http:// or https:// URL, got "${url}"`);
  }
  const profiles = await readProfiles();
  const named = parsed.flags.get("--profile");
  let profile: Profile | undefined;
  if (named !== undefined) {
    profile = profiles.get(named);
    if (profile === undefined) throw new UsageError(`no profile "${named}" in "${profilesPath()}"`);
  } else {
    profile = [...profiles.values()].find((p) => p.url?.replace(/\/+$/, "") === url) ??
      profiles.get("default");
  }
  const user = parsed.flags.get("--user") ?? profile?.user ?? "admin";
  const key = parsed.flags.get("--key") ?? profile?.key;
  if (key === undefined) {
    throw new UsageError(
      `no key for ${url}: pass --key, or save one with "planck profile set NAME --remote ${url} --user ${user} --key KEY"`,
    );
  }
  return { url, user, key };
}

/** One call to the workbench API; its JSON answer. @throws RemoteError */
export async function call(
  target: { url: string; user: string; key: string },
  method: string,
  apiPath: string,
  body?: Uint8Array,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${apiPath}`, {
      method,
      body: body as BodyInit | undefined,
      headers: {
        authorization: `Basic ${btoa(`${target.user}:${target.key}`)}`,
        ...(body === undefined ? {} : { "content-type": "application/wasm" }),
      },
    });
  } catch (error) {
    throw new RemoteError(
      `cannot reach the workbench at ${target.url}: ${
        (error as Error).message
      } — is the server running, and is ` +
        `this its workbench port (2369 unless configured)?`,
      EXIT.unavailable,
    );
  }
  const text = await response.text();
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new RemoteError(
      `${target.url} answered ${response.status} with something that is not the workbench API — is this the ` +
        `workbench port (2369 unless configured), not the app port?`,
      EXIT.failed,
    );
  }
  if (response.status === 401) {
    throw new RemoteError(
      `the workbench at ${target.url} refused user "${target.user}": wrong user or key (check --key or the profile ` +
        `in ${profilesPath()})`,
      EXIT.denied,
    );
  }
  if (response.status === 403 || response.status === 423) {
    throw new RemoteError(`${target.url}: ${doc.message} (${doc.error})`, EXIT.denied);
  }
  if (!response.ok) {
    throw new RemoteError(
      `${target.url}: ${doc.message ?? text} (${doc.error ?? response.status})`,
      EXIT.failed,
    );
  }
  return doc;
}

/** Warns when the server runs another Planck version (what it built may not match this build's ABI). */
async function checkVersion(target: { url: string; user: string; key: string }): Promise<string> {
  const status = await call(target, "GET", "/api/status");
  const version = String(status.version);
  if (version !== PLANCK_VERSION) {
    console.error(
      `planck: warning: ${target.url} runs Planck ${version}, this is ${PLANCK_VERSION}: a service built here ` +
        `may be refused (ABI or engine pin); build it with the server's version`,
    );
  }
  return version;
}

/** Runs one of the remote commands; `command` is deploy, undeploy, services, status or logs. */
export async function runRemote(command: string, args: string[]): Promise<number> {
  const extra = command === "logs" ? ["--service", "--level", "--limit", "--q"] : [];
  const parsed = parseArgs(args, { flags: [...REMOTE_FLAGS, ...extra] });
  const arity = command === "deploy" || command === "undeploy" ? 1 : 0;
  if (parsed.positionals.length !== arity) {
    throw new UsageError(arity === 0 ? "no arguments expected" : "expected one argument");
  }
  const target = await resolve(parsed);
  try {
    if (command === "deploy") {
      const file = parsed.positionals[0];
      let wasm: Uint8Array;
      try {
        wasm = await Deno.readFile(file);
      } catch {
        throw new UsageError(
          `no file "${file}": build it first with "planck build DIR", which prints its path`,
        );
      }
      const version = await checkVersion(target);
      try {
        const result = await call(target, "POST", "/api/services", wasm) as { name: string; version: string };
        console.log(`planck: deployed "${result.name}" ${result.version} to ${target.url}`);
      } catch (error) {
        if (error instanceof RemoteError && version !== PLANCK_VERSION) {
          error.message += ` — the server runs Planck ${version}, this build is ${PLANCK_VERSION}`;
        }
        throw error;
      }
    } else if (command === "undeploy") {
      await call(target, "DELETE", `/api/services/${encodeURIComponent(parsed.positionals[0])}`);
      console.log(`planck: undeployed "${parsed.positionals[0]}" from ${target.url}`);
    } else if (command === "services") {
      const { services } = await call(target, "GET", "/api/services") as { services: unknown[] };
      for (const service of services) console.log(jsonLine(service));
    } else if (command === "status") {
      console.log(jsonLine(await call(target, "GET", "/api/status")));
    } else {
      const query = new URLSearchParams();
      for (const flag of ["--level", "--limit", "--q"]) {
        const value = parsed.flags.get(flag);
        if (value !== undefined) query.set(flag.slice(2), value);
      }
      const service = parsed.flags.get("--service");
      const where = service === undefined ? "/api/logs" : `/api/services/${encodeURIComponent(service)}/log`;
      const { entries } = await call(target, "GET", `${where}?${query}`) as { entries: unknown[] };
      for (const entry of entries) console.log(jsonLine(entry));
    }
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    console.error(`planck: ${error.message}`);
    return error.exitCode;
  }
}

export const PROFILE_USAGE = `planck profile set NAME --remote URL [--user USER] --key KEY

  Saves (or replaces) profile NAME in ~/.config/planck/profiles (created mode 0600), for
  "--remote URL" or "--profile NAME" on deploy, undeploy, services, status and logs.`;

/** Runs `planck profile set`. */
export async function runProfile(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: ["--remote", "--user", "--key"] });
  const [action, name, extra] = parsed.positionals;
  if (action !== "set" || name === undefined || extra !== undefined) {
    throw new UsageError("expected: set NAME");
  }
  const url = parsed.flags.get("--remote");
  const key = parsed.flags.get("--key");
  if (url === undefined || key === undefined) throw new UsageError("profile set needs --remote and --key");
  const profiles = await readProfiles();
  profiles.set(name, { url, user: parsed.flags.get("--user") ?? "admin", key });
  const lines: string[] = [];
  for (const [n, p] of profiles) {
    lines.push(`[${n}]`, `url = ${p.url}`, `user = ${p.user}`, `key = ${p.key}`, "");
  }
  const file = profilesPath();
  await Deno.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.tmp`;
  await Deno.writeTextFile(temporary, lines.join("\n"), { mode: PROFILES_MODE });
  await Deno.chmod(temporary, PROFILES_MODE);
  await Deno.rename(temporary, file);
  console.error(`planck: saved profile "${name}" (${url}) to ${file}`);
  return EXIT.ok;
}
