/**
 * Loads the configuration of `planck start`: defaults (config_keys.ts), then the YAML file, then
 * command-line overrides. The schema and defaults are documented in docs/configuration.md.
 *
 * Invariants: an unknown key, a value of the wrong type or out of range, a YAML syntax error, or
 * an inconsistent combination is a PlanckError `invalid_argument` whose `field` names the key and
 * whose message names the source (file and line, or the flag); nothing is silently ignored.
 */
import { isMap, isScalar, LineCounter, parseDocument, type Scalar, type YAMLMap } from "yaml";
import { PlanckError } from "../protocol/errors.ts";
import {
  type Config,
  CONFIG_KEYS,
  configKey,
  defaultConfig,
  isConfigSection,
  KeyError,
} from "./config_keys.ts";
import { CONFIG_FILE_BYTES_MAX } from "./limits.ts";

export { type Config, CONFIG_KEYS, defaultConfig } from "./config_keys.ts";

/** A value given on the command line for a config key: `{ key: "ports.wire", value: "0", flag: "--wire-port" }`. */
export interface ConfigOverride {
  key: string;
  value: string;
  flag: string;
}

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** Path of a YAML config file. */
  file?: string;
  /** Command-line values; they win over the file. */
  overrides?: readonly ConfigOverride[];
}

/**
 * Builds the effective configuration.
 * @throws PlanckError `invalid_argument` naming the key (and file line or flag) of the first bad entry
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const config = defaultConfig();
  if (options.file !== undefined) applyYaml(config, await readConfigFile(options.file), options.file);
  for (const override of options.overrides ?? []) {
    const spec = configKey(override.key);
    if (spec === undefined) {
      throw new TypeError(`Unknown config key "${override.key}" for flag ${override.flag}`);
    }
    spec.assign(config, checked(spec.check, override.value, override.key, `flag ${override.flag}`));
    recordSource(config, override.key, `flag ${override.flag}`);
  }
  checkCombination(config);
  return config;
}

const SOURCES = new WeakMap<Config, Map<string, string>>();

function recordSource(config: Config, key: string, source: string): void {
  let sources = SOURCES.get(config);
  if (sources === undefined) SOURCES.set(config, sources = new Map());
  sources.set(key, source);
}

/** Where each key's value of `config` came from: "default", `flag --x` or `"file" line N` (the last one wins). */
export function configSources(config: Config): Map<string, string> {
  const recorded = SOURCES.get(config);
  return new Map(CONFIG_KEYS.map((spec) => [spec.key, recorded?.get(spec.key) ?? "default"]));
}

/** Parses YAML text into `config` (exported for tests; `source` names the file in errors). */
export function applyYaml(config: Config, text: string, source: string): void {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    const at = lines.linePos(error.pos[0]);
    throw new PlanckError(
      "invalid_argument",
      `Invalid config file "${source}" at line ${at.line}: ${error.message.split("\n")[0]}`,
      { file: source, line: at.line, column: at.col },
    );
  }
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) return; // an empty file: all defaults
  if (!isMap(root)) {
    throw new PlanckError("invalid_argument", `Invalid config file "${source}": expected a mapping of keys`, {
      file: source,
    });
  }
  applyMap(config, root, "", { source, lines });
}

interface Where {
  source: string;
  lines: LineCounter;
}

function applyMap(config: Config, map: YAMLMap, prefix: string, where: Where): void {
  for (const pair of map.items) {
    const keyNode = pair.key as Scalar | null;
    const name = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const key = prefix === "" ? name : `${prefix}.${name}`;
    const line = lineOf(keyNode, where.lines);
    const value = pair.value;
    if (isConfigSection(key)) {
      if (isMap(value)) applyMap(config, value, key, where);
      else if (!(isScalar(value) && value.value === null) && value !== null) {
        throw keyError(key, `a mapping of keys under "${key}"`, `"${where.source}" at line ${line}`);
      }
      continue;
    }
    const spec = configKey(key);
    if (spec === undefined) {
      throw new PlanckError(
        "invalid_argument",
        `Unknown config key "${key}" in "${where.source}" at line ${line}`,
        {
          field: key,
          file: where.source,
          line,
        },
      );
    }
    const raw = isScalar(value)
      ? value.value
      : value === null
      ? null
      : (value as { toJSON(): unknown }).toJSON();
    spec.assign(config, checked(spec.check, raw, key, `"${where.source}" at line ${line}`));
    recordSource(config, key, `"${where.source}" line ${line}`);
  }
}

function lineOf(node: unknown, lines: LineCounter): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range === undefined ? 0 : lines.linePos(range[0]).line;
}

function checked(check: (value: unknown) => unknown, value: unknown, key: string, source: string): unknown {
  try {
    return check(value);
  } catch (error) {
    if (error instanceof KeyError) throw keyError(key, error.expected, source, value);
    throw error;
  }
}

function keyError(key: string, expected: string, source: string, value?: unknown): PlanckError {
  const found = value === undefined ? "" : `, got ${JSON.stringify(value)?.slice(0, 80) ?? String(value)}`;
  return new PlanckError(
    "invalid_argument",
    `Invalid config value for "${key}" (${source}): expected ${expected}${found}`,
    {
      field: key,
    },
  );
}

/** Checks relations between keys. */
function checkCombination(config: Config): void {
  if ((config.tls.certFile === null) !== (config.tls.keyFile === null)) {
    const missing = config.tls.certFile === null ? "tls.cert_file" : "tls.key_file";
    throw new PlanckError(
      "invalid_argument",
      `Invalid config: "${missing}" is required when TLS is configured`,
      {
        field: missing,
      },
    );
  }
  if (config.security.lockoutBaseMs > config.security.lockoutMaxMs) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid config: "security.lockout_base_ms" (${config.security.lockoutBaseMs}) exceeds "security.lockout_max_ms" (${config.security.lockoutMaxMs})`,
      { field: "security.lockout_base_ms" },
    );
  }
  const ports = Object.entries(config.ports).filter(([, port]) => port !== 0);
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i][1] !== ports[j][1]) continue;
      throw new PlanckError(
        "invalid_argument",
        `Invalid config: "ports.${ports[i][0]}" and "ports.${ports[j][0]}" are both ${ports[i][1]}`,
        { field: `ports.${ports[j][0]}` },
      );
    }
  }
}

async function readConfigFile(path: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new PlanckError(
      "invalid_argument",
      `Cannot read config file "${path}": ${(error as Error).message}`,
      {
        file: path,
      },
    );
  }
  if (info.size > CONFIG_FILE_BYTES_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Config file "${path}" is too large: ${info.size} bytes (the limit CONFIG_FILE_BYTES_MAX is ${CONFIG_FILE_BYTES_MAX})`,
      { file: path, limit: "CONFIG_FILE_BYTES_MAX" },
    );
  }
  return await Deno.readTextFile(path);
}
