/**
 * Every shell line of README.md (and the `sh` blocks of docs/, examples/ and sdk/ READMEs), run
 * as written in a fresh clone with a scratch HOME and no Deno on PATH: `npx -y deno@2.9.6 task
 * install` puts `planck` in ~/.local/bin, `export PATH=…` puts it on PATH, `planck start` and
 * `planck dev` run in the background (dev's page must answer), and every other line must exit 0.
 * A second `planck start` is the replica walk-through's second terminal: it must have
 * `--replica-of`, gets its own free ports and must come up as a replica.
 *
 * What the test changes, and why: `npx -y deno@2.9.6` becomes the Deno running this test (the same
 * version; npx would download Deno into the scratch HOME), and the default ports 3000, 23469 and 2369
 * become free ports (other tests and servers share this machine). `deno task test` is not run (it
 * is this suite). `curl` gets `--fail-with-body`, so an HTTP error fails the line. Variable
 * assignments and `export` lines are kept and run before every later line (as in one shell).
 */
import * as path from "node:path";
import { assert, assertEquals } from "../_util/assert.ts";
import { shellQuote } from "../../scripts/install.ts";
import { freePort, freshClone, REPO, sh } from "./fresh_clone.ts";

/** The lines of every ```sh block in `markdown`, comments and blank lines dropped. */
export function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  let inside = false;
  for (const raw of markdown.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("```")) {
      inside = !inside && (line === "```sh" || line === "```bash" || line === "```shell");
      continue;
    }
    if (!inside) continue;
    const command = line.replace(/\s+#\s.*$/, "").replace(/^#.*$/, "").trim();
    if (command !== "") lines.push(command);
  }
  return lines;
}

async function docsWithShell(): Promise<string[]> {
  const files = ["README.md"];
  for (const dir of ["docs", "examples", "sdk"]) {
    for await (const entry of walkMarkdown(path.join(REPO, dir))) files.push(path.relative(REPO, entry));
  }
  const out: string[] = [];
  for (const file of files) {
    const lines = shellLines(await Deno.readTextFile(path.join(REPO, file)));
    if (file === "README.md" || lines.some((line) => line.startsWith("planck "))) out.push(file);
  }
  return out;
}

async function* walkMarkdown(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory && entry.name !== "node_modules") yield* walkMarkdown(file);
    else if (entry.isFile && entry.name.endsWith(".md")) yield file;
  }
}

interface Ports {
  http: number;
  wire: number;
  workbench: number;
}

function rewrite(line: string, ports: Ports): string {
  return line
    .replaceAll("npx -y deno@2.9.6", shellQuote(Deno.execPath()))
    .replaceAll(/^curl /g, "curl --fail-with-body -sS ")
    .replaceAll(/\b(localhost|127\.0\.0\.1):3000\b/g, `$1:${ports.http}`);
}

Deno.test("README: every shell line runs as written in a fresh clone with a scratch HOME", async () => {
  const clone = await freshClone();
  const ports: Ports = { http: freePort(), wire: freePort(), workbench: freePort() };
  let server: Deno.ChildProcess | undefined;
  let serverOutput = "";
  let replica: Deno.ChildProcess | undefined;
  const devs: Deno.ChildProcess[] = [];
  const prelude: string[] = [];
  try {
    for (const file of await docsWithShell()) {
      for (const original of shellLines(await Deno.readTextFile(path.join(REPO, file)))) {
        if (/\btask test\b/.test(original)) continue;
        const line = rewrite(original, ports);
        const where = `${file}: ${original}`;
        if (line.startsWith("export ") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)) {
          prelude.push(line);
          continue;
        }
        if (/^planck start\b.*--replica-of\b/.test(line) && server !== undefined) {
          assert(replica === undefined, `${where}: a second replica`);
          const flags = `--http-port ${freePort()} --wire-port ${freePort()} --workbench-port ${freePort()}`;
          replica = new Deno.Command("bash", {
            args: ["-c", [...prelude, `exec ${line} ${flags}`].join("\n")],
            cwd: clone.repo,
            env: clone.env,
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          const output = await waitFor(replica, "planck: ready");
          assert(
            output.includes("serving reads, writes answer not_leader"),
            `${where}: a replica\n${output}`,
          );
          continue;
        }
        if (/^planck start\b/.test(line)) {
          assert(server === undefined, `${where}: a second server`);
          const flags =
            `--http-port ${ports.http} --wire-port ${ports.wire} --workbench-port ${ports.workbench}`;
          server = new Deno.Command("bash", {
            args: ["-c", [...prelude, `exec ${line} ${flags}`].join("\n")],
            cwd: clone.repo,
            env: clone.env,
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          serverOutput = await waitFor(server, "planck: ready");
          assert(serverOutput.includes("key="), `${where}: the first start prints the admin key`);
          continue;
        }
        if (/^planck dev\b/.test(line)) {
          const child = new Deno.Command("bash", {
            args: ["-c", [...prelude, `exec ${line}`].join("\n")],
            cwd: clone.repo,
            env: clone.env,
            clearEnv: true,
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          devs.push(child);
          const output = await waitFor(child, "planck: dev: watching");
          const base = /planck: dev: open (\S+)\//.exec(output)![1];
          const page = await fetch(`${base}/`);
          const text = await page.text();
          assertEquals(page.status, 200, `${where}: ${text}`);
          assert(text.includes("/_planck/assets/dev-reload.js"), `${where}: ${text}`);
          continue;
        }
        const stdin = /^planck pql$/.test(line) ? "help\n" : undefined;
        if (Deno.env.get("PLANCK_TEST_VERBOSE")) console.log(where);
        const result = await sh([...prelude, line].join("\n"), { cwd: clone.repo, env: clone.env, stdin });
        assertEquals(result.code, 0, `${where}\nexit ${result.code}\n${result.stdout}\n${result.stderr}`);
      }
    }
    assert(server !== undefined, "README starts a server");
    const installed = path.join(clone.home, ".local", "bin", "planck");
    assert((await Deno.stat(installed)).isFile, "the launcher is in ~/.local/bin");
  } finally {
    if (replica !== undefined) {
      replica.kill("SIGTERM");
      assertEquals((await replica.status).code, 0, "the replica exits 0 on SIGTERM");
    }
    for (const dev of devs) {
      dev.kill("SIGINT");
      assertEquals((await dev.status).code, 0, "planck dev exits 0 on SIGINT");
    }
    if (server !== undefined) {
      server.kill("SIGTERM");
      const status = await server.status;
      assertEquals(status.code, 0, `planck start exits 0 on SIGTERM:\n${serverOutput}`);
    }
    await clone.remove();
  }
});

/** Reads a child's stdout and stderr until `marker` appears (or it exits); returns what it read. */
async function waitFor(child: Deno.ChildProcess, marker: string): Promise<string> {
  let output = "";
  const decoder = new TextDecoder();
  let found!: () => void;
  const seen = new Promise<void>((resolve) => found = resolve);
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      if (output.includes(marker)) found();
    }
  };
  pump(child.stdout);
  pump(child.stderr);
  await Promise.race([seen, child.status]);
  if (!output.includes(marker)) throw new Error(`"${marker}" never printed:\n${output}`);
  return output;
}
