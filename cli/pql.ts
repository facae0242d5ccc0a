/**
 * `planck pql`: runs PQL statements against a server (`--connect`) or an offline data directory
 * (`--data`). With a statement argument it runs that one; otherwise it reads stdin: an interactive
 * REPL on a terminal (line editing, history in ~/.planck_history, multi-line statements), or one
 * statement per line when piped. Every result is printed as JSON lines as soon as it is committed.
 *
 * Exit codes: 0 when every statement succeeded; otherwise the code of the first failure (1 failed,
 * 3 server unreachable, 4 denied); a lost connection stops reading.
 */
import { createInterface } from "node:readline";
import process from "node:process";
import { parsePql } from "../engine/pql/mod.ts";
import { EXIT, parseArgs, UsageError } from "./args.ts";
import { printResult } from "./output.ts";
import { isHelp, PQL_HELP, pqlHint } from "./pql_hints.ts";
import { closeTarget, openTarget, reportError, type Target, TARGET_FLAGS } from "./target.ts";

export const PQL_USAGE = `planck pql [--connect STR | --data DIR [--create]] [--timeout MS] ["<statement>"]

  Runs one PQL statement, or reads statements from stdin (a REPL on a terminal; one statement
  per line when piped) and prints each result as JSON lines. Without --connect or --data it uses
  $PLANCK_CONNECT, then data/admin.credentials. --data opens the directory in-process (the server
  must be stopped); a directory that does not exist is refused unless --create. "help" lists the
  statements. Example:
    planck pql --connect "$(cat data/admin.credentials)" 'orders.insert({"a": 1})'`;

/** History lines kept. */
const HISTORY_LINES_MAX = 1_000;
/** Longest statement the REPL accumulates across lines, in characters. */
const REPL_STATEMENT_CHARS_MAX = 1024 * 1024;

type Run = (text: string) => Promise<unknown>;

/** Runs `planck pql`. */
export async function runPql(args: string[]): Promise<number> {
  const parsed = parseArgs(args, { flags: TARGET_FLAGS, switches: ["--create"] });
  if (parsed.positionals.length > 1) {
    throw new UsageError("give one statement (quote it), or none to read stdin");
  }
  const dataDir = parsed.flags.get("--data");
  if (parsed.switches.has("--create") && dataDir === undefined) {
    throw new UsageError("--create goes with --data");
  }
  if (dataDir !== undefined && !parsed.switches.has("--create") && !(await isDirectory(dataDir))) {
    throw new UsageError(
      `no data directory "${dataDir}": check the path, or pass --create to make a new database there`,
    );
  }
  const target = await openTarget(parsed, { local: true });
  try {
    const run = runner(target);
    const statement = parsed.positionals[0];
    if (statement !== undefined && isHelp(statement)) {
      console.log(PQL_HELP);
      return EXIT.ok;
    }
    if (statement !== undefined) {
      printResult(await run(statement));
      return EXIT.ok;
    }
    return Deno.stdin.isTerminal() ? await repl(run) : await piped(run);
  } finally {
    await closeTarget(target);
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(dir)).isDirectory;
  } catch {
    return false;
  }
}

function runner(target: Target): Run {
  const run: Run = target.kind === "remote"
    ? (text) => target.client.pql(text)
    : (text) => target.local.pql(text);
  return async (text) => {
    try {
      return await run(text);
    } catch (error) {
      const hint = (error as { code?: string }).code === "invalid_argument" ? pqlHint(text) : "";
      if (hint !== "" && error instanceof Error) error.message += `\n  hint: ${hint}`;
      throw error;
    }
  };
}

/** One statement per line from a pipe. */
async function piped(run: Run): Promise<number> {
  let code: number = EXIT.ok;
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    if (isHelp(line)) {
      console.log(PQL_HELP);
      continue;
    }
    try {
      printResult(await run(line));
    } catch (error) {
      const failure = reportError(error);
      if (code === EXIT.ok) code = failure;
      if (failure === EXIT.unavailable) break;
    }
  }
  return code;
}

/** Lines of a byte stream (without their line breaks). */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let at: number;
    while ((at = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, at).replace(/\r$/, "");
      pending = pending.slice(at + 1);
    }
  }
  if (pending !== "") yield pending;
}

/** True when `text` is the start of a statement that needs more lines. */
export function isIncomplete(text: string): boolean {
  try {
    parsePql(text);
    return false;
  } catch (error) {
    return error instanceof Error && / but found end of input$/.test(error.message);
  }
}

/** The interactive loop. */
async function repl(run: Run): Promise<number> {
  const historyPath = historyFile();
  const history = historyPath === undefined ? [] : await loadHistory(historyPath);
  const rl = createInterface(
    {
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      history,
      historySize: HISTORY_LINES_MAX,
    } as Parameters<typeof createInterface>[0],
  );
  console.log(
    'Planck PQL. End a statement with a line break (";" to put two on a line); "help" lists the statements; ".exit" quits.',
  );
  let buffer = "";
  rl.setPrompt("planck> ");
  rl.on("SIGINT", () => {
    if (buffer === "") return rl.close();
    buffer = "";
    process.stdout.write("\n");
    rl.setPrompt("planck> ");
    rl.prompt();
  });
  rl.prompt();
  for await (const line of rl) {
    if (buffer === "" && /^\s*\.?(exit|quit)\s*$/.test(line)) break;
    if (buffer === "" && isHelp(line)) {
      console.log(PQL_HELP);
      rl.prompt();
      continue;
    }
    buffer += (buffer === "" ? "" : "\n") + line;
    if (buffer.trim() === "" || (isIncomplete(buffer) && buffer.length < REPL_STATEMENT_CHARS_MAX)) {
      if (buffer.trim() === "") buffer = "";
      rl.setPrompt(buffer === "" ? "planck> " : "    ... ");
      rl.prompt();
      continue;
    }
    const statement = buffer;
    buffer = "";
    if (historyPath !== undefined) await appendHistory(historyPath, statement);
    try {
      printResult(await run(statement));
    } catch (error) {
      if (reportError(error) === EXIT.unavailable) break;
    }
    rl.setPrompt("planck> ");
    rl.prompt();
  }
  rl.close();
  return EXIT.ok;
}

function historyFile(): string | undefined {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  return home === undefined ? undefined : `${home}/.planck_history`;
}

async function loadHistory(path: string): Promise<string[]> {
  try {
    const lines = (await Deno.readTextFile(path)).split("\n").filter((line) => line !== "");
    return lines.slice(-HISTORY_LINES_MAX).map((line) => JSON.parse(line) as string).reverse();
  } catch {
    return []; // no history yet, or unreadable: start fresh
  }
}

async function appendHistory(path: string, statement: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, JSON.stringify(statement) + "\n", { append: true, mode: 0o600 });
  } catch {
    // history is a convenience: never fail a statement over it
  }
}
