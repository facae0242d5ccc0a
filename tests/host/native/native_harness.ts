/**
 * A minimal native-tier host for tests: instantiates a built service with a host-created memory
 * and planck.* imports whose host calls go to a function of the test, sends requests through
 * planck_alloc/planck_handle, and runs requests inside real engine transactions answering host
 * calls with answerHostCall (host/guest/sandbox.ts).
 */
import { deserialize, serialize } from "bson";
import type { Database } from "../../../engine/db/database.ts";
import { transaction } from "../../../engine/tx/transaction.ts";
import { readGuestString } from "../../../host/native/session.ts";
import { inspectNativeModule } from "../../../host/native/validate.ts";
import { answerHostCall, type HostCallScope } from "../../../host/guest/sandbox.ts";

/** The memory cap of test instances (the host's default, 64 MiB). */
const MEMORY_PAGES_MAX = 1024;

/** A decoded BSON document. */
export type Doc = Record<string, unknown>;
/** Answers one host call. */
export type Answer = (call: Doc) => Doc;

/** One request and its decoded response. */
export interface Reply {
  status: number;
  headers: [string, string][];
  /** A text body, bytes, or null. */
  body: string | Uint8Array | null;
}

/** The ABI exports a request needs. */
interface GuestExports {
  planck_alloc(len: number): number;
  planck_handle(ptr: number, len: number): number;
}

/** A native instance (built with buildNativeService): host-created memory, planck.* imports answered by `answer`. */
export class Harness {
  readonly takes = { count: 0 };
  #exports!: GuestExports;
  #memory!: WebAssembly.Memory;

  static async create(wasm: Uint8Array, answer: Answer): Promise<Harness> {
    const h = new Harness();
    h.#memory = new WebAssembly.Memory({
      initial: inspectNativeModule(wasm).memoryPagesMin,
      maximum: MEMORY_PAGES_MAX,
    });
    let held: Uint8Array | null = null;
    const bytes = (ptr: number, len: number) => new Uint8Array(h.#memory.buffer, ptr, len);
    const imports = {
      env: {
        memory: h.#memory,
        abort: (msg: number, file: number, line: number, column: number) => {
          const m = h.#memory;
          throw new Error(
            `abort: ${readGuestString(m, msg)} at ${readGuestString(m, file)}:${line}:${column}`,
          );
        },
        trace: () => {},
        seed: () => Date.now(),
      },
      planck: {
        request: (ptr: number, len: number, dst: number, cap: number) => {
          const reply = serialize(answer(deserialize(bytes(ptr, len), { useBigInt64: true })));
          if (reply.length <= cap) bytes(dst, reply.length).set(reply);
          else held = reply;
          return reply.length;
        },
        take: (dst: number) => {
          if (held === null) return -2;
          bytes(dst, held.length).set(held);
          h.takes.count++;
          const n = held.length;
          held = null;
          return n;
        },
        log: () => {},
        now_ms: () => Date.now(),
        random: (ptr: number, len: number) => crypto.getRandomValues(bytes(ptr, len)),
      },
    };
    const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, imports);
    h.#exports = instance.exports as unknown as GuestExports;
    return h;
  }

  /** The instance's memory now, in 64 KiB pages. */
  get memoryPages(): number {
    return this.#memory.buffer.byteLength / 65536;
  }

  /** Sends one request ("/path?query") through planck_alloc and planck_handle. */
  request(method: string, url: string, body?: string, headers: [string, string][] = []): Reply {
    const [path, query = ""] = url.split("?");
    const doc = serialize({
      id: "r1",
      method,
      path,
      query,
      headers: [["content-type", "application/json"], ...headers],
      body: body === undefined ? null : new TextEncoder().encode(body),
    });
    const ptr = this.#exports.planck_alloc(doc.length);
    new Uint8Array(this.#memory.buffer, ptr, doc.length).set(doc);
    const at = this.#exports.planck_handle(ptr, doc.length);
    const view = new DataView(this.#memory.buffer);
    const out = new Uint8Array(this.#memory.buffer, view.getUint32(at, true), view.getUint32(at + 4, true));
    const reply = deserialize(out, { promoteBuffers: true });
    return { status: reply.status, headers: reply.headers, body: reply.body };
  }
}

/** The body of a text reply. */
export function text(reply: Reply): string {
  if (typeof reply.body !== "string") throw new Error(`expected a text body, got ${String(reply.body)}`);
  return reply.body;
}

/** The body of a JSON reply, parsed. */
// deno-lint-ignore no-explicit-any
export function json(reply: Reply): any {
  return JSON.parse(text(reply));
}

export function header(reply: Reply, name: string): string | undefined {
  return reply.headers.find(([n]) => n === name)?.[1];
}

/** A service instance whose requests run in engine transactions. */
export interface EngineClient {
  request: (method: string, url: string, body?: string) => Promise<Reply>;
  harness: Harness;
}

/** Sends requests to `wasm` as service `service`, each inside its own transaction on `db`. */
export async function engineClient(db: Database, service: string, wasm: Uint8Array): Promise<EngineClient> {
  let scope: HostCallScope | undefined;
  const harness = await Harness.create(wasm, (call) => answerHostCall(scope!, call));
  const request = (method: string, url: string, body?: string) =>
    transaction(db, (tx) => {
      scope = { service, tx, log: () => {}, logLines: 0 };
      return harness.request(method, url, body);
    });
  return { request, harness };
}
