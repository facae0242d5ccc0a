/**
 * Orders follows the billing system's change stream: an invoice for an order (same key) makes
 * the order "invoiced", a paid invoice makes it "paid". Orders never reads billing's store
 * otherwise, and only ever moves an order forward.
 */
import type { ClientWriteOp, PlanckClient } from "planck";
import type { Follower } from "../feed.ts";
import { ORDER_STATUSES } from "./models.ts";

/** The engine names of the stores involved (`<service>__<store>`). */
export const INVOICES_STORE = "billing__invoices";
export const ORDERS_STORE = "orders__orders";
export const ORDERS_FEEDS = "orders__feeds";

/** The follower: billing (source) → orders (target). */
export function ordersFollowBilling(billing: PlanckClient, orders: PlanckClient): Follower {
  return {
    name: "orders follows billing",
    source: billing,
    store: INVOICES_STORE,
    target: orders,
    feeds: ORDERS_FEEDS,
    async apply(event, target): Promise<ClientWriteOp[]> {
      if (event.doc === undefined) return [];
      const status = (event.doc as { paid?: boolean }).paid === true ? "paid" : "invoiced";
      const order = await target.store<{ status: string }>(ORDERS_STORE).get(event.key);
      if (order === null) return [];
      if (ORDER_STATUSES.indexOf(order.status as never) >= ORDER_STATUSES.indexOf(status)) return [];
      return [{ op: "update", store: ORDERS_STORE, key: event.key, set: { status } }];
    },
  };
}
