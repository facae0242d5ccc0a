/**
 * Compiles the `planck` binary to dist/planck with `deno compile`. Uses DENORT_BIN when set (a
 * local denort runtime, for machines that cannot download it).
 */
if (import.meta.main) {
  const env: Record<string, string> = {};
  const denort = Deno.env.get("DENORT_BIN");
  if (denort !== undefined) env.DENORT_BIN = denort;
  const command = new Deno.Command(Deno.execPath(), {
    args: ["compile", "-A", "--output", "dist/planck", "main.ts"],
    env,
    stdout: "inherit",
    stderr: "inherit",
  });
  const { code } = await command.output();
  if (code !== 0) {
    console.error(
      "deno compile failed; without network access to dl.deno.land set DENORT_BIN to a local denort binary",
    );
  }
  Deno.exit(code);
}
