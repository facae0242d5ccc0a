/**
 * The type check of `planck build` (and, after each fast redeploy, of `planck dev`): `deno check`
 * of the service's entry with `"planck"` (and `"planck/mod.ts"`) mapped to the very guest library
 * the build bundles (host/wasm/guest_sources.ts) — the builder and the framework, not the TCP
 * client — so what type-checks is what links. The library is written once per content hash to
 * `$XDG_CACHE_HOME/planck/guest-<hash>/` (default `~/.cache/planck/…`, else the temp dir), with the
 * import map beside it; relative imports of the service resolve on disk as usual.
 *
 * Deno comes from the process when it is `deno` (`deno run main.ts`, the `planck` launcher), else
 * from PATH (the compiled binary carries no type checker); without one the build refuses and
 * names `--no-check`.
 *
 * Errors: a failed check throws PlanckError("invalid_argument") whose message lists every
 * diagnostic as `file:line:column: error TSnnnn: text` (file relative to the working directory when under it)
 * and whose location is the first one's.
 */
import { bytesToHex } from "../protocol/hex.ts";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { PlanckError } from "../protocol/errors.ts";
import { GUEST_ENTRY, GUEST_ENTRY_SOURCE, GUEST_SOURCES } from "../host/wasm/guest_sources.ts";

/** One diagnostic of the check. */
export interface TypeDiagnostic {
  file: string;
  line: number;
  column: number;
  code: string;
  text: string;
}

/** The guest library's files (path → text), its entry included. */
function guestFiles(): Record<string, string> {
  return { ...GUEST_SOURCES, [GUEST_ENTRY]: GUEST_ENTRY_SOURCE };
}

let libraryDir: Promise<string> | undefined;

/** Writes the guest library and its import map once (content-addressed); returns the config path. */
function guestLibrary(): Promise<string> {
  libraryDir ??= (async () => {
    const files = guestFiles();
    const names = Object.keys(files).sort();
    const hashInput = new TextEncoder().encode(names.map((n) => `${n}\0${files[n]}\0`).join(""));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", hashInput));
    const hash = bytesToHex(digest.subarray(0, 8));
    const dir = path.join(cacheRoot(), `guest-${hash}`);
    const config = path.join(dir, "deno.json");
    try {
      await Deno.stat(config);
      return config;
    } catch {
      // not written yet
    }
    await Deno.mkdir(path.dirname(dir), { recursive: true });
    const staging = await Deno.makeTempDir({ dir: path.dirname(dir), prefix: ".guest-" });
    for (const name of names) {
      await Deno.mkdir(path.join(staging, path.dirname(name)), { recursive: true });
      await Deno.writeTextFile(path.join(staging, name), files[name]);
    }
    const imports = { planck: `./${GUEST_ENTRY}`, "planck/mod.ts": `./${GUEST_ENTRY}` };
    await Deno.writeTextFile(path.join(staging, "deno.json"), JSON.stringify({ imports }, null, 2) + "\n");
    try {
      await Deno.rename(staging, dir);
    } catch {
      await Deno.remove(staging, { recursive: true }); // another build wrote it first
    }
    return config;
  })();
  return libraryDir;
}

function cacheRoot(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return path.join(xdg, "planck");
  const home = Deno.env.get("HOME");
  if (home) return path.join(home, ".cache", "planck");
  return path.join(Deno.env.get("TMPDIR") ?? "/tmp", "planck-cache");
}

/** The `deno` to check with, or undefined. */
async function denoBinary(): Promise<string | undefined> {
  if (/^deno(\.exe)?$/.test(path.basename(Deno.execPath()))) return Deno.execPath();
  for (const dir of (Deno.env.get("PATH") ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, "deno");
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Parses `deno check` output into diagnostics (ANSI colours stripped). */
export function parseDiagnostics(output: string): TypeDiagnostic[] {
  // deno-lint-ignore no-control-regex
  const text = output.replace(/\x1b\[[0-9;]*m/g, "");
  const out: TypeDiagnostic[] = [];
  const head = /^(TS\d+) \[ERROR\]: (.*)$/;
  const at = /^\s+at (file:\/\/\S+?):(\d+):(\d+)\s*$/;
  let current: { code: string; text: string } | undefined;
  for (const line of text.split("\n")) {
    const h = head.exec(line);
    if (h !== null) {
      current = { code: h[1], text: h[2] };
      continue;
    }
    const a = at.exec(line);
    if (a !== null && current !== undefined) {
      out.push({
        file: fileURLToPath(a[1]),
        line: Number(a[2]),
        column: Number(a[3]),
        ...current,
      });
      current = undefined;
    }
  }
  return out;
}

/** Formats one diagnostic as `file:line:column: error TSnnnn: text`. */
export function formatDiagnostic(d: TypeDiagnostic): string {
  const relative = path.relative(Deno.cwd(), d.file);
  const file = relative.startsWith("..") ? d.file : relative;
  return `${file}:${d.line}:${d.column}: error ${d.code}: ${d.text}`;
}

/** Type-checks `entry` (absolute) against the guest library. @throws PlanckError on any diagnostic */
export async function typeCheck(entry: string): Promise<void> {
  const deno = await denoBinary();
  if (deno === undefined) {
    throw new PlanckError(
      "unavailable",
      "Cannot type-check: no `deno` here (the compiled planck carries no type checker). " +
        "Install Deno or build with --no-check",
    );
  }
  const config = await guestLibrary();
  const out = await new Deno.Command(deno, {
    args: ["check", "--quiet", "--config", config, entry],
    cwd: path.dirname(entry),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code === 0) return;
  const decoder = new TextDecoder();
  const output = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  const diagnostics = parseDiagnostics(output);
  if (diagnostics.length === 0) {
    throw new PlanckError("invalid_argument", `Type check failed:\n${output.trim()}`, { file: entry });
  }
  const first = diagnostics[0];
  throw new PlanckError(
    "invalid_argument",
    `Type check failed (${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"}; ` +
      `--no-check skips it):\n${diagnostics.map(formatDiagnostic).join("\n")}`,
    { file: first.file, line: first.line, column: first.column },
  );
}
