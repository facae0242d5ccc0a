/**
 * `planck new NAME [--style monolith|scs|api]`: writes a project that builds, deploys and passes
 * its own tests as it is. The templates are embedded (cli/new/template_files.ts); the project's
 * deno.json points `"planck"` at this checkout's framework (and carries its npm imports), so
 * `deno check` and `deno task test` resolve everything without a network.
 *
 * Invariants: NAME is a valid service name; an existing non-empty directory is never written into.
 */
import * as path from "node:path";
import PLANCK_CONFIG from "../deno.json" with { type: "json" };
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { TEMPLATE_FILES } from "./new/template_files.ts";

/** The styles, the default first. */
export const STYLES = ["monolith", "scs", "api"] as const;
export type Style = typeof STYLES[number];

export const NEW_USAGE = `planck new NAME [--style monolith|scs|api] [--dir DIR]

  Writes a new project into DIR (default ./NAME), in one of three styles:
    monolith (default)  one instance, one service, a store per domain, htmx fragments
    scs                 self-contained systems: orders and billing, two services for two
                        instances that follow each other's change streams (htmx; Datastar
                        in billing)
    api                 the monolith's domains as JSON only, described by /openapi.json
  Each has a README, planck.json, typed models and tests that run it in-process (planck test).`;

/** Template files of each style: [template path, project path]. */
function filesOf(style: Style): [string, string][] {
  const own = Object.keys(TEMPLATE_FILES).filter((f) => f.startsWith(`${style}/`))
    .map((f): [string, string] => [f, f.slice(style.length + 1).replace(/^gitignore\.txt$/, ".gitignore")]);
  if (style === "api") own.push(["monolith/models.ts", "models.ts"]);
  return own;
}

/** The project's deno.json: its tasks, plus imports for "planck" and the framework's npm packages. */
function denoConfig(template: string, repo: string): string {
  const config = JSON.parse(template) as { tasks: Record<string, string>; imports: Record<string, string> };
  config.imports = {
    planck: path.join(repo, "mod.ts"),
    "planck/": `${repo}/`,
    ...PLANCK_CONFIG.imports,
  };
  return JSON.stringify(config, null, 2) + "\n";
}

const title = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");

/** Runs `planck new`. */
export async function runNew(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: ["--style", "--dir"] });
  const [name, extra] = parsed.positionals;
  if (name === undefined) throw new UsageError("give the project's NAME");
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(name)) {
    throw new UsageError(`NAME "${name}" must be lower-case letters, digits and "_", starting with a letter`);
  }
  const style = (parsed.flags.get("--style") ?? "monolith") as Style;
  if (!STYLES.includes(style)) throw new UsageError(`--style must be one of ${STYLES.join(", ")}`);
  const dir = parsed.flags.get("--dir") ?? name;
  await ensureEmpty(dir);
  const repo = path.resolve(import.meta.dirname!, "..");
  const written: string[] = [];
  for (const [template, target] of filesOf(style)) {
    let text = TEMPLATE_FILES[template].replaceAll("__NAME__", name).replaceAll("__TITLE__", title(name));
    if (target.endsWith("deno.json")) text = denoConfig(text, repo);
    const file = path.join(dir, target);
    await Deno.mkdir(path.dirname(file), { recursive: true });
    await Deno.writeTextFile(file, text);
    written.push(target);
  }
  console.log(`planck: wrote "${name}" (${style}) to ${dir}/: ${written.sort().join(", ")}`);
  const devDir = style === "scs" ? `${dir}/orders` : dir;
  console.log(
    `next:  planck test ${dir}${
      " ".repeat(Math.max(1, 23 - dir.length))
    }# type-check, then its tests (in-process Planck)`,
  );
  console.log(
    `       planck dev ${devDir}${" ".repeat(Math.max(1, 24 - devDir.length))}# serve it, rebuild on save`,
  );
  return EXIT.ok;
}

async function ensureEmpty(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) {
      throw new UsageError(`"${dir}" exists and is not empty: pick another NAME or --dir`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    if (error instanceof Deno.errors.NotADirectory) throw new UsageError(`"${dir}" is a file`);
    throw error;
  }
}
