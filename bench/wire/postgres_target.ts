/**
 * PostgreSQL as a wire benchmark target, when it is installed (Debian `postgresql`): a private
 * cluster (initdb) in a temp directory on a free TCP port, `synchronous_commit=on` and `fsync=on`,
 * a JSONB table with a uuid primary key and an index on `status`, reached with `npm:postgres`.
 * As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
import postgres from "postgres";
import type { Connection, Target } from "./workload.ts";

/** How long the cluster may take to accept connections, in milliseconds. */
const START_TIMEOUT_MS = 30_000;

async function run(command: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
    const out = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    return { ok: output.success, out };
  } catch (error) {
    return { ok: false, out: (error as Error).message };
  }
}

/** The directory of initdb and postgres, or undefined when PostgreSQL is not installed. */
async function findBinaries(): Promise<string | undefined> {
  const config = await run("pg_config", ["--bindir"]);
  const candidates = [config.ok ? config.out.trim() : "", "/usr/local/bin", "/usr/bin"];
  try {
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      candidates.push(`/usr/lib/postgresql/${entry.name}/bin`);
    }
  } catch { /* not the Debian layout */ }
  for (const dir of candidates) {
    if (dir === "") continue;
    try {
      await Deno.stat(`${dir}/initdb`);
      await Deno.stat(`${dir}/postgres`);
      return dir;
    } catch { /* try the next */ }
  }
  return undefined;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts PostgreSQL in `dataDir`, or returns the reason it cannot. */
export async function startPostgres(dataDir: string): Promise<Target | string> {
  const bin = await findBinaries();
  if (bin === undefined) return "PostgreSQL is not installed (no initdb/postgres found)";
  const asRoot = Deno.uid() === 0;
  const as = (command: string, args: string[]): [string, string[]] =>
    asRoot
      ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", command, ...args]]
      : [command, args];
  await Deno.mkdir(dataDir, { recursive: true });
  if (asRoot) {
    const chown = await run("chown", ["-R", "postgres:postgres", dataDir]);
    if (!chown.ok) return `cannot hand "${dataDir}" to the postgres user: ${chown.out}`;
  }
  const init = await run(
    ...as(`${bin}/initdb`, ["-D", `${dataDir}/cluster`, "-U", "bench", "-A", "trust", "-E", "UTF8"]),
  );
  if (!init.ok) return `initdb failed: ${init.out.slice(-500)}`;
  const port = freePort();
  const [command, args] = as(`${bin}/postgres`, [
    "-D",
    `${dataDir}/cluster`,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${dataDir}`,
    "-c",
    "synchronous_commit=on",
    "-c",
    "fsync=on",
    "-c",
    "max_connections=200",
    "-c",
    "shared_buffers=256MB",
  ]);
  const server = new Deno.Command(command, { args, stdout: "null", stderr: "null" }).spawn();
  const admin = postgres({
    host: "127.0.0.1",
    port,
    user: "bench",
    database: "postgres",
    max: 1,
    onnotice: () => {},
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (true) {
    try {
      await admin`select 1`;
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        server.kill("SIGINT");
        return `postgres did not start: ${(error as Error).message}`;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await admin`create table docs (id uuid primary key, doc jsonb not null)`;
  await admin`create index docs_status on docs ((doc->>'status'))`;
  await admin.end();
  return {
    name: "postgres",
    open(connections) {
      return Promise.resolve(Array.from({ length: connections }, () => wrap(port)));
    },
    async close() {
      server.kill("SIGINT"); // fast shutdown
      await server.status;
    },
  };
}

function wrap(port: number): Connection {
  const sql = postgres({
    host: "127.0.0.1",
    port,
    user: "bench",
    database: "postgres",
    max: 1,
    onnotice: () => {},
  });
  return {
    async insertMany(ids, docs) {
      const texts = docs.map((doc) => JSON.stringify(doc));
      await sql`insert into docs (id, doc) select unnest(${ids}::text[])::uuid, unnest(${texts}::text[])::jsonb`;
    },
    async insert(id, doc) {
      await sql`insert into docs (id, doc) values (${id}::uuid, ${JSON.stringify(doc)}::jsonb)`;
    },
    async get(id) {
      const rows = await sql`select doc from docs where id = ${id}::uuid`;
      return rows[0]?.doc ?? null;
    },
    close: () => sql.end(),
  };
}
