/**
 * Everything that hosts: the wire server, users and roles, config, and the process that ties them
 * to the engine (HTTP, SSE, WASM runtime, replication and scheduler come with their issues).
 */
export {
  ADMIN_USER,
  parseRole,
  parseUserName,
  type Role,
  ROLES,
  type UserInfo,
  Users,
  USERS_STORE,
} from "./auth.ts";
export { type Config, CONFIG_KEYS, type ConfigOverride, defaultConfig, loadConfig } from "./config.ts";
export { CREDENTIALS_FILE, readCredentials, writeCredentials } from "./credentials.ts";
export { type PlanckServer, type StartOptions, startServer } from "./server.ts";
export { OPS, RESERVED_OPS } from "./wire/ops.ts";
export * as hostLimits from "./limits.ts";
