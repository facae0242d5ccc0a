/**
 * Running a Planck server from a Deno program: `startServer` (the process that ties the wire
 * server, app HTTP, services, SSE, replication and the scheduler to the engine), config, users and
 * roles, credentials, the wire op list and the host's limits.
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
export { type PlanckServer, type StartOptions, startServer } from "./server/server.ts";
export { OPS, RESERVED_OPS } from "./wire/ops.ts";
export * as hostLimits from "./limits.ts";
