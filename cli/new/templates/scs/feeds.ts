/**
 * The two systems' followers, run beside the two instances: billing follows orders (new order →
 * invoice), orders follows billing (invoice → "invoiced", paid → "paid"). Each resumes from the
 * position it saved in its own instance (feed.ts). Run with `deno task feeds` once both
 * `planck dev` are up; it connects with the admin credentials they saved (orders/.planck-data,
 * billing/.planck-data), or with two connection strings: `deno task feeds ORDERS_CONN BILLING_CONN`
 * (in production: users granted the two services, `planck users add` and `grant`).
 */
import { connect } from "planck";
import { billingFollowsOrders } from "./billing/follow_orders.ts";
import { follow } from "./feed.ts";
import { ordersFollowBilling } from "./orders/follow_billing.ts";

if (import.meta.main) {
  const root = new URL(".", import.meta.url).pathname;
  const saved = async (system: string) =>
    (await Deno.readTextFile(`${root}${system}/.planck-data/admin.credentials`)).trim();
  const [ordersAt, billingAt] = Deno.args.length === 2
    ? Deno.args
    : [await saved("orders"), await saved("billing")];
  const orders = await connect(ordersAt);
  const billing = await connect(billingAt);
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  console.log("feeds: billing follows orders, orders follows billing (Ctrl-C stops)");
  const log = (what: string) => (e: { op: string; key: string; lsn: number }) =>
    console.log(`feeds: ${what}: ${e.op} ${e.key} (LSN ${e.lsn})`);
  await Promise.all([
    follow(billingFollowsOrders(orders, billing), stop.signal, log("billing ← orders")),
    follow(ordersFollowBilling(billing, orders), stop.signal, log("orders ← billing")),
  ]);
  orders.close();
  billing.close();
}
