/**
 * Test helpers for the host: an in-process server on free ports over a temp data dir, raw wire
 * sockets (frames written and read by hand), and a `planck start` subprocess.
 */
import { BSON } from "bson";
import { defaultConfig } from "../../host/config.ts";
import type { Config } from "../../host/config_keys.ts";
import { type PlanckServer, startServer } from "../../host/server/server.ts";

/** A server started for a test. */
export interface TestServer {
  server: PlanckServer;
  dataDir: string;
  /** The admin connection string. */
  admin: string;
  port: number;
}

/** Runs `fn` with an in-process server; stops it and removes its directory afterwards. */
export async function withServer(
  fn: (t: TestServer) => Promise<void>,
  configure: (config: Config) => void = () => {},
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "planck_host_" });
  const config = defaultConfig();
  config.dataDir = dataDir;
  config.ports = { wire: 0, http: 0, workbench: 0 };
  config.shutdown.drainTimeoutMs = 2_000;
  configure(config);
  const server = await startServer(config, { log: () => {}, signals: false });
  try {
    await fn({ server, dataDir, admin: server.adminConnection!, port: server.ports.wire });
  } finally {
    await server.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** A raw wire connection: write frames (or any bytes) and read response documents. */
export class RawWire {
  readonly conn: Deno.Conn;
  #buffer = new Uint8Array(0);

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  static async open(port: number, hostname = "127.0.0.1"): Promise<RawWire> {
    return new RawWire(await Deno.connect({ hostname, port }));
  }

  /** Writes raw bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Writes one request frame. */
  async send(doc: Record<string, unknown>): Promise<void> {
    await this.write(frame(doc));
  }

  /** Reads one response document, or null when the server closed the connection. */
  async read(): Promise<Record<string, unknown> | null> {
    while (true) {
      if (this.#buffer.length >= 4) {
        const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getUint32(0, true);
        if (this.#buffer.length >= 4 + length) {
          const body = this.#buffer.slice(4, 4 + length);
          this.#buffer = this.#buffer.slice(4 + length);
          return BSON.deserialize(body, { useBigInt64: true });
        }
      }
      const chunk = new Uint8Array(64 * 1024);
      let count: number | null;
      try {
        count = await this.conn.read(chunk);
      } catch {
        count = null; // reset by the server
      }
      if (count === null) return null;
      const grown = new Uint8Array(this.#buffer.length + count);
      grown.set(this.#buffer);
      grown.set(chunk.subarray(0, count), this.#buffer.length);
      this.#buffer = grown;
    }
  }

  /** Sends a request and reads the next response. */
  async call(doc: Record<string, unknown>): Promise<Record<string, unknown>> {
    await this.send(doc);
    const response = await this.read();
    if (response === null) throw new Error("connection closed");
    return response;
  }

  /** Authenticates with a connection string's user and key. */
  async authenticate(connection: string): Promise<Record<string, unknown>> {
    const user = /uid=([^;]+)/.exec(connection)![1];
    const key = /key=([^;]+)/.exec(connection)![1];
    return await this.call({ id: 1, op: "authenticate", user, key });
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed by the server
    }
  }
}

/** One wire frame for `doc`. */
export function frame(doc: Record<string, unknown>): Uint8Array {
  const body = BSON.serialize(doc);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out;
}

/** A `planck start` subprocess. */
export interface ServerProcess {
  child: Deno.ChildProcess;
  port: number;
  /** The admin connection string (read from the credentials file). */
  admin: string;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const DENO = Deno.execPath();

/** Starts `planck start --data dataDir` on free ports (or the given wire port) and waits for "ready". */
export async function spawnServer(
  dataDir: string,
  options: { wirePort?: number; httpPort?: number; args?: string[]; env?: Record<string, string> } = {},
): Promise<
  ServerProcess
> {
  const args = [
    "run",
    "-A",
    MAIN,
    "start",
    "--data",
    dataDir,
    "--wire-port",
    String(options.wirePort ?? 0),
    "--http-port",
    String(options.httpPort ?? 0),
    "--workbench-port",
    "0",
    ...(options.args ?? []),
  ];
  const child = new Deno.Command(DENO, { args, stdout: "piped", stderr: "piped", env: options.env }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => ready = resolve);
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      if (output.includes("planck: ready")) ready();
    }
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status;
  await Promise.race([isReady, exited.then(() => {})]);
  if (!output.includes("planck: ready")) {
    await pumped;
    throw new Error(`planck start failed:\n${output}`);
  }
  const port = Number(/wire listening on [^\s]+:(\d+)/.exec(output)![1]);
  const admin = (await Deno.readTextFile(`${dataDir}/admin.credentials`)).trim();
  return {
    child,
    port,
    admin,
    output: () => output,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
      const status = await exited;
      await pumped;
      return status;
    },
  };
}

/** Runs `planck <args>` to completion. */
export async function runPlanck(
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(DENO, {
    args: ["run", "-A", MAIN, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    cwd: options.cwd,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: new TextDecoder().decode(stdout), stderr: new TextDecoder().decode(stderr) };
}
