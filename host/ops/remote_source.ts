/**
 * A BackupSource over the wire: `backupBegin` pins the server's database and lists its files,
 * `backupRead` fetches ranges, `backupEnd` (with `counts: true`: after counting every store as of
 * the pinned LSN) releases (host/wire/ops_backup.ts). The client needs
 * only a `request` method, so this file imports nothing of the client.
 */
import { PlanckError } from "../../protocol/errors.ts";
import type { BackupSource, SourceFile } from "./backup_source.ts";

/** What remoteSource needs of a client. */
export interface Requester {
  request(op: string, fields?: Record<string, unknown>): Promise<unknown>;
}

/** Starts a backup on the server. */
export async function remoteSource(client: Requester): Promise<BackupSource> {
  const begun = await client.request("backupBegin", {}) as {
    backup: string;
    lsn: number;
    files: SourceFile[];
    pauseMs?: number;
  };
  const id = begun.backup;
  let released = false;
  let stores: Promise<{ name: string; documents: number }[]> | undefined;
  return {
    lsn: Number(begun.lsn),
    files: begun.files.map((file) => ({ path: file.path, bytes: Number(file.bytes) })),
    pauseMs: begun.pauseMs === undefined ? undefined : Number(begun.pauseMs),
    async read(path, offset, length) {
      const { data } = await client.request("backupRead", { backup: id, path, offset, length }) as {
        data: unknown;
      };
      const bytes = toBytes(data);
      if (bytes.length !== length) {
        throw new PlanckError(
          "internal",
          `backupRead of "${path}" returned ${bytes.length} bytes, asked ${length}`,
        );
      }
      return bytes;
    },
    stores() {
      // backupEnd with counts: the server counts the pinned state, then releases the pin.
      stores ??= (async () => {
        released = true;
        const ended = await client.request("backupEnd", { backup: id, counts: true }) as {
          stores: { name: string; documents: unknown }[];
        };
        return ended.stores.map((store) => ({ name: store.name, documents: Number(store.documents) }));
      })();
      return stores;
    },
    async release() {
      if (released) return;
      released = true;
      await client.request("backupEnd", { backup: id }).catch(() => {}); // else the server's idle timeout frees it
    },
  };
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const binary = data as { buffer?: unknown; position?: number };
  if (binary?.buffer instanceof Uint8Array) {
    return binary.buffer.subarray(0, binary.position ?? binary.buffer.length);
  }
  throw new PlanckError("internal", "backupRead returned no binary data");
}
