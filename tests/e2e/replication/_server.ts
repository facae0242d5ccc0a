/**
 * A lean `planck start` for the replication crash tests: the same startServer as the CLI, without
 * the workbench (faster to start, so many kill rounds fit in a test run). Usage:
 * `deno run -A _server.ts DATA_DIR WIRE_PORT [REPLICA_OF]`. Prints the server's lines and
 * "planck: ready".
 */
import { defaultConfig } from "../../../host/config.ts";
import { startServer } from "../../../host/server/server.ts";

const [dataDir, wirePort, replicaOf] = Deno.args;
const config = defaultConfig();
config.dataDir = dataDir;
config.ports = { wire: Number(wirePort), http: 0, workbench: 0 };
config.replication.replicaOf = replicaOf ?? null;
config.memtableBytes = 256 * 1024; // checkpoints (and WAL rotation) happen during short runs
config.walSegmentBytes = 64 * 1024;
const server = await startServer(config, { noLogFile: true });
await server.finished;
