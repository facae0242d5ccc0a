/**
 * Every `planck …` command line the docs show (README.md and docs/**: fenced blocks and inline
 * code) names a command that exists, and every `--flag` on it is one that command's usage lists.
 * README's shell lines are also run verbatim (readme_test.ts); the docs' other lines are mostly
 * synopses with placeholders, which this checks against the real command table (cli.ts).
 */
import * as path from "node:path";
import { usageOf } from "../../cli.ts";
import { assertEquals } from "../_util/assert.ts";
import { REPO } from "./fresh_clone.ts";

/** Words after `planck` that are not commands: `planck help`, "the planck command" in a diagram. */
const NOT_COMMANDS = new Set<string>(["help", "command"]);

async function markdownFiles(): Promise<string[]> {
  const out = [path.join(REPO, "README.md")];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory) await walk(file);
      else if (entry.name.endsWith(".md")) out.push(file);
    }
  };
  await walk(path.join(REPO, "docs"));
  return out;
}

/** The code of a markdown text: fenced block lines and inline code spans. */
function codeOf(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.trimStart().startsWith("```")) {
      fenced = !fenced;
      continue;
    }
    if (fenced) out.push(line);
    else for (const span of line.matchAll(/`([^`]+)`/g)) out.push(span[1]);
  }
  return out;
}

Deno.test("every planck command line in README.md and docs/ names a real command and its flags", async () => {
  const problems: string[] = [];
  let checked = 0;
  for (const file of await markdownFiles()) {
    const text = await Deno.readTextFile(file);
    for (const code of codeOf(text)) {
      for (const match of code.matchAll(/(?:^|[\s;|&(`$"])planck ([a-z][a-z-]*)([^;|&#\n]*)/g)) {
        const [, name, rest] = match;
        if (NOT_COMMANDS.has(name)) continue;
        checked++;
        const usage = usageOf(name);
        const where = `${path.relative(REPO, file)}: planck ${name}${rest}`;
        if (usage === undefined) {
          problems.push(`${where}: no command "${name}"`);
          continue;
        }
        for (const flag of rest.matchAll(/(?:^|\s|\[)(--[a-z][a-z-]*)/g)) {
          if (!new RegExp(`${flag[1]}(?![a-z-])`).test(usage)) {
            problems.push(`${where}: "${name}" has no ${flag[1]}`);
          }
        }
      }
    }
  }
  console.log(`${checked} planck command lines checked`);
  assertEquals(problems, []);
});
