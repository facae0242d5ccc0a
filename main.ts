/**
 * The `planck` binary's entry: parses the command line and hands off to cli.ts.
 */
import { runCli } from "./cli.ts";

if (import.meta.main) {
  const code = await runCli(Deno.args);
  Deno.exit(code);
}
