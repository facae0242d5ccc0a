/**
 * Connection strings: `host:port;uid=<user>;key=<key>[;tls=true][;ca=<pem file>][;timeout=<ms>]`.
 * IPv6 hosts are bracketed (`[::1]:23469;uid=…`). Option names are case-insensitive; values may
 * contain "=" (only the first one splits). Imports nothing server-side.
 *
 * Invariants: `parseConnectionString(formatConnectionString(x))` deep-equals x; a malformed string
 * throws a ClientError `invalid_argument` that never quotes the key.
 */
import { ClientError } from "./errors.ts";

/** Default wire port. */
export const WIRE_PORT_DEFAULT = 23469;

/** A parsed connection string. */
export interface ConnectionInfo {
  hostname: string;
  port: number;
  user: string;
  key: string;
  tls: boolean;
  /** Path of a PEM CA certificate to trust (TLS with a private CA). */
  caFile?: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

const OPTIONS = ["uid", "key", "tls", "ca", "timeout"];

/** Parses a connection string. @throws ClientError `invalid_argument` */
export function parseConnectionString(text: string): ConnectionInfo {
  const parts = text.trim().split(";").map((part) => part.trim()).filter((part) => part !== "");
  if (parts.length === 0) throw invalid("it is empty");
  const { hostname, port } = parseAddress(parts[0]);
  const options = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const at = part.indexOf("=");
    if (at <= 0) throw invalid(`expected name=value but found "${part.slice(0, 20)}"`);
    const name = part.slice(0, at).trim().toLowerCase();
    if (!OPTIONS.includes(name)) throw invalid(`unknown option "${name.slice(0, 20)}"`);
    options.set(name, part.slice(at + 1).trim());
  }
  const user = options.get("uid");
  const key = options.get("key");
  if (!user) throw invalid('"uid" is missing');
  if (!key) throw invalid('"key" is missing');
  const info: ConnectionInfo = { hostname, port, user, key, tls: parseBool(options.get("tls") ?? "false") };
  const ca = options.get("ca");
  if (ca !== undefined && ca !== "") info.caFile = ca;
  const timeout = options.get("timeout");
  if (timeout !== undefined) {
    const ms = Number(timeout);
    if (!Number.isInteger(ms) || ms <= 0) throw invalid(`"timeout" must be a positive integer of ms`);
    info.timeoutMs = ms;
  }
  return info;
}

/** Formats a connection string (the inverse of parseConnectionString). */
export function formatConnectionString(info: ConnectionInfo): string {
  const host = info.hostname.includes(":") ? `[${info.hostname}]` : info.hostname;
  let text = `${host}:${info.port};uid=${info.user};key=${info.key}`;
  if (info.tls) text += ";tls=true";
  if (info.caFile !== undefined) text += `;ca=${info.caFile}`;
  if (info.timeoutMs !== undefined) text += `;timeout=${info.timeoutMs}`;
  return text;
}

function parseAddress(text: string): { hostname: string; port: number } {
  let hostname: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) throw invalid('unterminated "[" in the address');
    hostname = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest !== "" && !rest.startsWith(":")) throw invalid("expected :port after the address");
    portText = rest === "" ? undefined : rest.slice(1);
  } else {
    const at = text.lastIndexOf(":");
    hostname = at < 0 ? text : text.slice(0, at);
    portText = at < 0 ? undefined : text.slice(at + 1);
  }
  if (hostname === "") throw invalid("the host is missing");
  const port = portText === undefined ? WIRE_PORT_DEFAULT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`invalid port "${portText}"`);
  return { hostname, port };
}

function parseBool(text: string): boolean {
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw invalid(`"tls" must be true or false`);
}

function invalid(detail: string): ClientError {
  return new ClientError("invalid_argument", `Invalid connection string: ${detail}`);
}
