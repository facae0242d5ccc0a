/**
 * The config schema: every key of the YAML config file, its default and how its value is checked.
 * docs/configuration.md documents the same table; tests/host/config_test.ts checks the two agree.
 *
 * Invariants: every key has a default that passes its own check; a value is accepted only if its
 * check passes; checks never throw anything but a KeyError carrying the expected form.
 */
import {
  CHANGES_RETENTION_AGE_MS_DEFAULT,
  CHANGES_RETENTION_BYTES_DEFAULT,
  MEMTABLE_BYTES_DEFAULT,
  WAL_SEGMENT_BYTES_DEFAULT,
  WAL_SEGMENT_BYTES_MIN,
} from "../engine/limits.ts";
import { parseDurability } from "../engine/wal/wal.ts";
import {
  BIND_DEFAULT,
  CONNECTIONS_DEFAULT,
  CONNECTIONS_MAX,
  DRAIN_TIMEOUT_MS_DEFAULT,
  DRAIN_TIMEOUT_MS_MAX,
  FRAME_BYTES_DEFAULT,
  FRAME_BYTES_MAX,
  FRAME_BYTES_MIN,
  HTTP_BODY_TIMEOUT_MS_DEFAULT,
  HTTP_BODY_TIMEOUT_MS_MAX,
  HTTP_PORT_DEFAULT,
  IN_FLIGHT_PER_CONNECTION_DEFAULT,
  IN_FLIGHT_PER_CONNECTION_MAX,
  LOCKOUT_BASE_MS_DEFAULT,
  LOCKOUT_FAILURES_DEFAULT,
  LOCKOUT_MAX_MS_DEFAULT,
  MEMTABLE_BYTES_CONFIG_MAX,
  MEMTABLE_BYTES_CONFIG_MIN,
  UNAUTHENTICATED_PER_ADDRESS_DEFAULT,
  WAL_SEGMENT_BYTES_CONFIG_MAX,
  WIRE_PORT_DEFAULT,
  WORKBENCH_PORT_DEFAULT,
} from "./limits.ts";
import {
  SERVICE_DEADLINE_MS_DEFAULT,
  SERVICE_DEADLINE_MS_MAX,
  SERVICE_MEMORY_BYTES_DEFAULT,
  SERVICE_MEMORY_BYTES_MAX,
  SERVICE_MEMORY_BYTES_MIN,
} from "../protocol/abi.ts";

/** The effective configuration of one `planck start`. */
export interface Config {
  dataDir: string;
  bind: string;
  ports: { wire: number; http: number; workbench: number };
  durability: string;
  walSegmentBytes: number;
  memtableBytes: number;
  tls: { certFile: string | null; keyFile: string | null };
  limits: {
    frameBytes: number;
    connections: number;
    inFlightPerConnection: number;
    unauthenticatedPerAddress: number;
    /** How long an app-port request body may take to arrive (host/http/request_body.ts). */
    httpBodyTimeoutMs: number;
  };
  security: { lockoutFailures: number; lockoutBaseMs: number; lockoutMaxMs: number };
  shutdown: { drainTimeoutMs: number };
  services: { deadlineMs: number; memoryBytes: number };
  /** WAL kept for change streams after the checkpoint (engine/changes/retention.ts). */
  changes: { retention: { bytes: number; ageMs: number } };
  /** Replication (host/replication/): the primary's connection string on a replica, else null. */
  replication: { replicaOf: string | null };
  /** The WAL archive (engine/wal/archive.ts): a directory, or null for none, and its retention. */
  archive: { dir: string | null; retentionBytes: number; retentionAgeMs: number };
  /** Server-Sent Events on the app port (`GET /events`, host/live/). */
  sse: { enabled: boolean };
}

/** Largest configurable change-stream retention, in bytes (1 TiB) and milliseconds (365 days). */
const RETENTION_BYTES_CONFIG_MAX = 1024 ** 4;
const RETENTION_AGE_MS_CONFIG_MAX = 365 * 24 * 60 * 60 * 1000;

/** A value that fails its key's check; `expected` says what was wanted. */
export class KeyError extends Error {
  constructor(readonly expected: string) {
    super(expected);
  }
}

/** One config key: dotted YAML path, default, check, and where it lands in Config. */
export interface KeySpec {
  key: string;
  default: unknown;
  /** Checks a value (from YAML, or a string from a command-line flag) and returns it normalized. */
  check(value: unknown): unknown;
  assign(config: Config, value: unknown): void;
}

const UNITS: Record<string, number> = { "": 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

function integer(min: number, max: number, unit = ""): (value: unknown) => number {
  return (value) => {
    const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      throw new KeyError(`an integer${unit} from ${min} to ${max}`);
    }
    return n;
  };
}

/** Sizes: an integer of bytes or a string like "64 MiB" (units B, KiB, MiB, GiB). */
function bytes(min: number, max: number): (value: unknown) => number {
  const expected = `a size from ${min} to ${max} bytes (an integer, or a string like "64 MiB")`;
  return (value) => {
    let n = value;
    if (typeof value === "string") {
      const match = /^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$/.exec(value);
      if (match === null) throw new KeyError(expected);
      n = Number(match[1]) * UNITS[match[2] ?? ""];
    }
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new KeyError(expected);
    return n;
  };
}

function flag(value: unknown): boolean {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new KeyError("true or false");
}

function text(value: unknown): string {
  if (typeof value !== "string" || value.length === 0) throw new KeyError("a non-empty string");
  return value;
}

function optionalText(value: unknown): string | null {
  if (value === null || value === "") return null;
  if (typeof value !== "string") throw new KeyError("a string or null");
  return value;
}

function optionalPath(value: unknown): string | null {
  if (value === null || value === "") return null;
  if (typeof value !== "string") throw new KeyError("a file path or null");
  return value;
}

function bindAddress(value: unknown): string {
  const address = text(value);
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  const valid = ipv4 !== null
    ? ipv4.slice(1).every((part) => Number(part) <= 255)
    : /^[0-9A-Fa-f:]+$/.test(address) ||
      address === "localhost";
  if (!valid) throw new KeyError('an IP address such as "127.0.0.1", "0.0.0.0" or "::1"');
  return address;
}

function durability(value: unknown): string {
  if (typeof value === "string") {
    try {
      parseDurability(value);
      return value;
    } catch {
      // reported below with the expected form
    }
  }
  throw new KeyError('"sync" or "interval:<ms>" with 1 <= ms <= 10000');
}

const port = integer(0, 65535);

/** Wasm page size: memory caps are whole pages. */
const WASM_PAGE_BYTES = 64 * 1024;

function multipleOfPage(check: (value: unknown) => number): (value: unknown) => number {
  return (value) => {
    const n = check(value);
    if (n % WASM_PAGE_BYTES !== 0) throw new KeyError("a multiple of 64 KiB (the wasm page size)");
    return n;
  };
}

/** Every key, in the order docs/configuration.md lists them. */
export const CONFIG_KEYS: readonly KeySpec[] = [
  { key: "data_dir", default: "data", check: text, assign: (c, v) => c.dataDir = v as string },
  { key: "bind", default: BIND_DEFAULT, check: bindAddress, assign: (c, v) => c.bind = v as string },
  {
    key: "ports.wire",
    default: WIRE_PORT_DEFAULT,
    check: port,
    assign: (c, v) => c.ports.wire = v as number,
  },
  {
    key: "ports.http",
    default: HTTP_PORT_DEFAULT,
    check: port,
    assign: (c, v) => c.ports.http = v as number,
  },
  {
    key: "ports.workbench",
    default: WORKBENCH_PORT_DEFAULT,
    check: port,
    assign: (c, v) => c.ports.workbench = v as number,
  },
  { key: "durability", default: "sync", check: durability, assign: (c, v) => c.durability = v as string },
  {
    key: "wal_segment_bytes",
    default: WAL_SEGMENT_BYTES_DEFAULT,
    check: bytes(WAL_SEGMENT_BYTES_MIN, WAL_SEGMENT_BYTES_CONFIG_MAX),
    assign: (c, v) => c.walSegmentBytes = v as number,
  },
  {
    key: "memtable_bytes",
    default: MEMTABLE_BYTES_DEFAULT,
    check: bytes(MEMTABLE_BYTES_CONFIG_MIN, MEMTABLE_BYTES_CONFIG_MAX),
    assign: (c, v) => c.memtableBytes = v as number,
  },
  {
    key: "tls.cert_file",
    default: null,
    check: optionalPath,
    assign: (c, v) => c.tls.certFile = v as string | null,
  },
  {
    key: "tls.key_file",
    default: null,
    check: optionalPath,
    assign: (c, v) => c.tls.keyFile = v as string | null,
  },
  {
    key: "limits.frame_bytes",
    default: FRAME_BYTES_DEFAULT,
    check: bytes(FRAME_BYTES_MIN, FRAME_BYTES_MAX),
    assign: (c, v) => c.limits.frameBytes = v as number,
  },
  {
    key: "limits.http_body_timeout_ms",
    default: HTTP_BODY_TIMEOUT_MS_DEFAULT,
    check: integer(100, HTTP_BODY_TIMEOUT_MS_MAX, " (ms)"),
    assign: (c, v) => c.limits.httpBodyTimeoutMs = v as number,
  },
  {
    key: "limits.connections",
    default: CONNECTIONS_DEFAULT,
    check: integer(1, CONNECTIONS_MAX),
    assign: (c, v) => c.limits.connections = v as number,
  },
  {
    key: "limits.in_flight_per_connection",
    default: IN_FLIGHT_PER_CONNECTION_DEFAULT,
    check: integer(1, IN_FLIGHT_PER_CONNECTION_MAX),
    assign: (c, v) => c.limits.inFlightPerConnection = v as number,
  },
  {
    key: "limits.unauthenticated_per_address",
    default: UNAUTHENTICATED_PER_ADDRESS_DEFAULT,
    check: integer(1, CONNECTIONS_MAX),
    assign: (c, v) => c.limits.unauthenticatedPerAddress = v as number,
  },
  {
    key: "security.lockout_failures",
    default: LOCKOUT_FAILURES_DEFAULT,
    check: integer(1, 1000),
    assign: (c, v) => c.security.lockoutFailures = v as number,
  },
  {
    key: "security.lockout_base_ms",
    default: LOCKOUT_BASE_MS_DEFAULT,
    check: integer(1, 3_600_000, " (ms)"),
    assign: (c, v) => c.security.lockoutBaseMs = v as number,
  },
  {
    key: "security.lockout_max_ms",
    default: LOCKOUT_MAX_MS_DEFAULT,
    check: integer(1, 86_400_000, " (ms)"),
    assign: (c, v) => c.security.lockoutMaxMs = v as number,
  },
  {
    key: "shutdown.drain_timeout_ms",
    default: DRAIN_TIMEOUT_MS_DEFAULT,
    check: integer(0, DRAIN_TIMEOUT_MS_MAX, " (ms)"),
    assign: (c, v) => c.shutdown.drainTimeoutMs = v as number,
  },
  {
    key: "services.deadline_ms",
    default: SERVICE_DEADLINE_MS_DEFAULT,
    check: integer(10, SERVICE_DEADLINE_MS_MAX, " (ms)"),
    assign: (c, v) => c.services.deadlineMs = v as number,
  },
  {
    key: "services.memory_bytes",
    default: SERVICE_MEMORY_BYTES_DEFAULT,
    check: multipleOfPage(bytes(SERVICE_MEMORY_BYTES_MIN, SERVICE_MEMORY_BYTES_MAX)),
    assign: (c, v) => c.services.memoryBytes = v as number,
  },
  {
    key: "changes.retention.bytes",
    default: CHANGES_RETENTION_BYTES_DEFAULT,
    check: bytes(0, RETENTION_BYTES_CONFIG_MAX),
    assign: (c, v) => c.changes.retention.bytes = v as number,
  },
  {
    key: "changes.retention.age_ms",
    default: CHANGES_RETENTION_AGE_MS_DEFAULT,
    check: integer(0, RETENTION_AGE_MS_CONFIG_MAX, " (ms)"),
    assign: (c, v) => c.changes.retention.ageMs = v as number,
  },
  {
    key: "replication.replica_of",
    default: null,
    check: optionalText,
    assign: (c, v) => c.replication.replicaOf = v as string | null,
  },
  {
    key: "archive.dir",
    default: null,
    check: optionalPath,
    assign: (c, v) => c.archive.dir = v as string | null,
  },
  {
    key: "archive.retention.bytes",
    default: 0,
    check: bytes(0, RETENTION_BYTES_CONFIG_MAX),
    assign: (c, v) => c.archive.retentionBytes = v as number,
  },
  {
    key: "archive.retention.age_ms",
    default: 0,
    check: integer(0, RETENTION_AGE_MS_CONFIG_MAX, " (ms)"),
    assign: (c, v) => c.archive.retentionAgeMs = v as number,
  },
  {
    key: "sse.enabled",
    default: true,
    check: flag,
    assign: (c, v) => c.sse.enabled = v as boolean,
  },
];

/** The spec of `key`, or undefined. */
export function configKey(key: string): KeySpec | undefined {
  return CONFIG_KEYS.find((spec) => spec.key === key);
}

/** True when `prefix` names a section (a mapping) of the config, like "limits". */
export function isConfigSection(prefix: string): boolean {
  return CONFIG_KEYS.some((spec) => spec.key.startsWith(prefix + "."));
}

/** The configuration with every key at its default. */
export function defaultConfig(): Config {
  const config: Config = {
    dataDir: "",
    bind: "",
    ports: { wire: 0, http: 0, workbench: 0 },
    durability: "",
    walSegmentBytes: 0,
    memtableBytes: 0,
    tls: { certFile: null, keyFile: null },
    limits: {
      frameBytes: 0,
      connections: 0,
      inFlightPerConnection: 0,
      unauthenticatedPerAddress: 0,
      httpBodyTimeoutMs: 0,
    },
    security: { lockoutFailures: 0, lockoutBaseMs: 0, lockoutMaxMs: 0 },
    shutdown: { drainTimeoutMs: 0 },
    services: { deadlineMs: 0, memoryBytes: 0 },
    changes: { retention: { bytes: 0, ageMs: 0 } },
    replication: { replicaOf: null },
    archive: { dir: null, retentionBytes: 0, retentionAgeMs: 0 },
    sse: { enabled: false },
  };
  for (const spec of CONFIG_KEYS) spec.assign(config, spec.default);
  return config;
}
