/**
 * Billing follows the orders system's change stream: every order placed there gets an invoice
 * here, under the order's key (so a replayed snapshot finds it and writes nothing), validated by
 * billing's own model. Billing never reads orders' store otherwise.
 */
import type { ClientWriteOp, PlanckClient } from "planck";
import type { Follower } from "../feed.ts";
import { Invoice } from "./models.ts";

/** The engine names of the stores involved (`<service>__<store>`). */
export const ORDERS_STORE = "orders__orders";
export const INVOICES_STORE = "billing__invoices";
export const BILLING_FEEDS = "billing__feeds";

/** The follower: orders (source) → billing (target). */
export function billingFollowsOrders(orders: PlanckClient, billing: PlanckClient): Follower {
  return {
    name: "billing follows orders",
    source: orders,
    store: ORDERS_STORE,
    target: billing,
    feeds: BILLING_FEEDS,
    async apply(event, target): Promise<ClientWriteOp[]> {
      if (event.op !== "insert" && event.op !== "snapshot") return [];
      if (await target.store(INVOICES_STORE).get(event.key) !== null) return [];
      const order = event.doc as { title: string; amount: number };
      const invoice = Invoice.parse({ order: event.key, title: order.title, amount: order.amount });
      return [{ op: "put", store: INVOICES_STORE, key: event.key, doc: invoice }];
    },
  };
}
