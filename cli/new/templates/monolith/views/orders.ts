/** HTML fragments of the orders domain. */
import { type Html, html, type Row } from "planck";
import { type Order, ORDER_STATUSES } from "../models.ts";

export function orderItem(order: Row<Order>, productName: string): Html {
  const next = ORDER_STATUSES[(ORDER_STATUSES.indexOf(order.status) + 1) % ORDER_STATUSES.length];
  return html`<li id="order-${order.key}">
  <span>${order.quantity} × ${productName}</span> <span class="status">${order.status}</span>
  <button hx-post="/orders/${order.key}/status" hx-vals='{"status":"${next}"}'
    hx-target="#order-${order.key}" hx-swap="outerHTML">mark ${next}</button>
</li>`;
}

export function orderList(orders: { order: Row<Order>; productName: string }[]): Html {
  return html`<ul id="orders">${orders.map((o) => orderItem(o.order, o.productName))}</ul>`;
}
