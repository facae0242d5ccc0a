/**
 * `deno task install`: puts a `planck` command on PATH for this checkout. It links the npm
 * packages (`deno install`, from Deno's cache once they were downloaded), then writes a small
 * POSIX shell launcher to `$PLANCK_BIN_DIR/planck` (default `~/.local/bin/planck`) that runs this
 * checkout's main.ts with the pinned Deno (2.9.6) and this checkout's deno.json.
 *
 * The launcher looks for Deno in order: the binary that ran this script (its absolute path, so no
 * network is needed), the checkout's `.tools/node_modules/.bin/deno`, then `npx -y deno@2.9.6`.
 * Run it again after moving the checkout.
 *
 * Invariants: the launcher quotes every path it embeds; it never reads the user's own deno.json
 * (`--config` names Planck's), so `planck` behaves the same in any working directory.
 */
import * as path from "node:path";

/** The Deno release the project is pinned to (package.json of CI, the README). */
export const DENO_VERSION = "2.9.6";

/** Quotes `value` for a POSIX shell (single quotes; an embedded quote closes, escapes, reopens). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The launcher's text for the checkout at `repo`, preferring the Deno binary `deno`. */
export function launcherScript(repo: string, deno: string): string {
  const tools = path.join(repo, ".tools", "node_modules", ".bin", "deno");
  return `#!/bin/sh
# planck launcher, written by "deno task install" in ${repo.replaceAll("\n", " ")}
# Runs that checkout's main.ts with Deno ${DENO_VERSION}. Re-run "deno task install" after moving it.
PLANCK_HOME=${shellQuote(repo)}
DENO=${shellQuote(deno)}
if [ ! -x "$DENO" ]; then DENO=${shellQuote(tools)}; fi
if [ -x "$DENO" ]; then
  exec "$DENO" run -A --quiet --config "$PLANCK_HOME/deno.json" "$PLANCK_HOME/main.ts" "$@"
fi
exec npx -y deno@${DENO_VERSION} run -A --quiet --config "$PLANCK_HOME/deno.json" "$PLANCK_HOME/main.ts" "$@"
`;
}

/** Where the launcher goes: `$PLANCK_BIN_DIR`, else `$HOME/.local/bin`. */
export function binDir(): string {
  const explicit = Deno.env.get("PLANCK_BIN_DIR");
  if (explicit !== undefined && explicit !== "") return explicit;
  const home = Deno.env.get("HOME");
  if (home === undefined || home === "") {
    throw new Error("Cannot find a bin directory: set PLANCK_BIN_DIR or HOME");
  }
  return path.join(home, ".local", "bin");
}

/** Installs the launcher; returns its path. */
export async function install(repo: string): Promise<string> {
  // 1. Link the npm packages into the checkout (offline when Deno's cache has them).
  const linked = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--quiet"],
    cwd: repo,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (linked.code !== 0) throw new Error(`"deno install" failed in "${repo}" (exit ${linked.code})`);
  // 2. Write the launcher, executable, replacing an older one atomically.
  const dir = binDir();
  await Deno.mkdir(dir, { recursive: true });
  const target = path.join(dir, "planck");
  const temporary = `${target}.tmp`;
  await Deno.writeTextFile(temporary, launcherScript(repo, Deno.execPath()), { mode: 0o755 });
  await Deno.chmod(temporary, 0o755);
  await Deno.rename(temporary, target);
  return target;
}

function onPath(dir: string): boolean {
  const entries = (Deno.env.get("PATH") ?? "").split(":");
  return entries.some((entry) => entry !== "" && path.resolve(entry) === path.resolve(dir));
}

if (import.meta.main) {
  const repo = path.resolve(import.meta.dirname!, "..");
  try {
    const target = await install(repo);
    console.log(
      `planck: installed ${target} (runs ${path.join(repo, "main.ts")} with Deno ${Deno.version.deno})`,
    );
    if (!onPath(path.dirname(target))) {
      console.log(
        `planck: ${path.dirname(target)} is not on PATH; add it, e.g.\n` +
          `  echo 'export PATH="${path.dirname(target)}:$PATH"' >> ~/.profile && . ~/.profile`,
      );
    }
  } catch (error) {
    console.error(`planck: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
