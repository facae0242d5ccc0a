/**
 * A benchmark server as a subprocess: started with piped output, ready once a line matches, and
 * stopped by its own pid (SIGTERM, then SIGKILL after STOP_GRACE_MS).
 *
 * Invariants: only the child this module spawned is ever signalled; the last LOG_LINES_MAX lines
 * of its output are kept for error messages.
 */

/** How long a server may take to print its ready line. */
const READY_TIMEOUT_MS = 180_000;
/** Grace between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Output lines kept per server. */
const LOG_LINES_MAX = 200;

/** A running server subprocess. */
export class ServerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #log: string[] = [];
  #stopped = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
  }

  /** The server's pid (its CPU is what the bench measures). */
  get pid(): number {
    return this.#child.pid;
  }

  /** The last lines the server printed. */
  get log(): string {
    return this.#log.join("\n");
  }

  /**
   * Spawns `argv` in `cwd` and waits for a stdout or stderr line matching `ready`.
   * @returns the server and the match. @throws Error with its output when it exits or times out first
   */
  static async start(
    argv: string[],
    options: { ready: RegExp; cwd: string },
  ): Promise<{ server: ServerProcess; match: RegExpMatchArray }> {
    const ready = options.ready;
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = new ServerProcess(child);
    let resolveMatch: (m: RegExpMatchArray) => void = () => {};
    const matched = new Promise<RegExpMatchArray>((resolve) => resolveMatch = resolve);
    const onLine = (line: string) => {
      if (server.#log.length >= LOG_LINES_MAX) server.#log.shift();
      server.#log.push(line);
      const m = line.match(ready);
      if (m !== null) resolveMatch(m);
    };
    void drain(child.stdout, onLine);
    void drain(child.stderr, onLine);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      matched,
      child.status.then((s) => `exited with code ${s.code}`),
      new Promise<string>((resolve) =>
        timer = setTimeout(() => resolve("no ready line in time"), READY_TIMEOUT_MS)
      ),
    ]);
    clearTimeout(timer);
    if (typeof outcome === "string") {
      await server.stop();
      throw new Error(`${argv.join(" ")}: ${outcome}\n${server.log}`);
    }
    return { server, match: outcome };
  }

  /** SIGTERM to the child's pid, SIGKILL to the same pid after the grace period. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), STOP_GRACE_MS)),
    ]);
    clearTimeout(timer);
    if (!exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
      await this.#child.status;
    }
  }
}

async function drain(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let i;
    while ((i = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  }
}
