/**
 * The Planck client: `connect()` to a server over the wire protocol and use the typed builder,
 * PQL and the protocol's ops. Imports nothing server-side (only types and the pure builder).
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * const db = await connect(await Deno.readTextFile("data/admin.credentials"));
 * const { inserted } = await db.store<{ status: string }>("orders").insert({ status: "open" });
 * console.log(inserted, await db.pql('orders.filter(status = "open").count()'));
 * db.close();
 * ```
 */
export {
  type ClientBatchResult,
  type ClientUser,
  type ClientWriteOp,
  connect,
  type ConnectOptions,
  PlanckClient,
} from "./connect.ts";
export { ClientError, type ClientErrorDetails, type ErrorCode } from "./errors.ts";
export {
  type ConnectionInfo,
  formatConnectionString,
  parseConnectionString,
  WIRE_PORT_DEFAULT,
} from "./connection_string.ts";
export { WireTransport, type WireTransportOptions } from "./wire_transport.ts";
