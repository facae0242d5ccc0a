/**
 * The two systems in two real Planck instances started in this process (planck/testing.ts), each
 * built and deployed, cooperating through change streams: billing follows orders' stream over the
 * wire client (an order placed → an invoice), orders follows billing's (invoice → "invoiced", paid
 * → "paid"). The followers run here as feeds.ts runs them; the test waits on what they applied,
 * never on time. Stopped and restarted, a follower resumes from the LSN it saved in its own
 * instance: the order placed meanwhile is invoiced once and nothing is invoiced twice.
 * Run with `deno task test`.
 */
import type { WatchEvent } from "planck";
import { startService } from "planck/testing.ts";
import { billingFollowsOrders, INVOICES_STORE } from "./billing/follow_orders.ts";
import { follow, savedPosition } from "./feed.ts";
import { ordersFollowBilling } from "./orders/follow_billing.ts";

const ROOT = new URL(".", import.meta.url).pathname;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: "POST",
  body: new URLSearchParams(fields).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});

/** The events a follower applied, and a way to wait for one. */
class Applied {
  readonly events: WatchEvent[] = [];
  #waiters: { match: (e: WatchEvent) => boolean; resolve: (e: WatchEvent) => void }[] = [];

  add = (event: WatchEvent): void => {
    this.events.push(event);
    this.#waiters = this.#waiters.filter((w) => !(w.match(event) && (w.resolve(event), true)));
  };

  /** The first applied event (so far or to come) that `match`es. */
  next(match: (e: WatchEvent) => boolean): Promise<WatchEvent> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}

async function place(base: string, title: string, amount: string): Promise<string> {
  const created = await fetch(`${base}/orders`, form({ title, amount }));
  const text = await created.text();
  check(created.status === 201, text);
  return /order-([0-9a-f]{32})/.exec(text)![1];
}

Deno.test("orders and billing, two instances, cooperate through each other's change streams", async () => {
  await using orders = await startService(`${ROOT}orders`);
  await using billing = await startService(`${ROOT}billing`);
  const ordersClient = await orders.client();
  const billingClient = await billing.client();
  const first = await place(orders.base, "Tea <green>", "3.5");

  const run = (billed: Applied, followed: Applied) => {
    const stop = new AbortController();
    const done = Promise.all([
      follow(billingFollowsOrders(ordersClient, billingClient), stop.signal, billed.add),
      follow(ordersFollowBilling(billingClient, ordersClient), stop.signal, followed.add),
    ]);
    return { stop: () => (stop.abort(), done) };
  };
  let billed = new Applied();
  let followed = new Applied();
  let feeds = run(billed, followed);

  // The order placed before billing followed comes from the snapshot of orders' store.
  check((await billed.next((e) => e.key === first)).op === "snapshot", "first run starts from a snapshot");
  const invoices = await (await fetch(billing.url("/invoices"))).text();
  check(invoices.includes("Tea &lt;green&gt; 3.50") && invoices.includes(`invoice-${first}`), invoices);
  await followed.next((e) => e.key === first);
  check((await (await fetch(orders.url("/orders"))).text()).includes(">invoiced<"), "order invoiced");

  const paid = await fetch(billing.url(`/invoices/${first}/paid`), { method: "POST" });
  const event = await paid.text();
  check(paid.headers.get("content-type")!.startsWith("text/event-stream"), "Datastar event stream");
  check(
    event.startsWith("event: datastar-merge-fragments\ndata: fragments <li") && event.includes("paid"),
    event,
  );
  await followed.next((e) => e.key === first && e.op === "update");
  check((await (await fetch(orders.url("/orders"))).text()).includes(">paid<"), "order paid");

  // Stop both followers; an order placed meanwhile is picked up from the saved LSN, once.
  await feeds.stop();
  const second = await place(orders.base, "Cake", "4");
  const resumeAt = await savedPosition(billingFollowsOrders(ordersClient, billingClient));
  check(typeof resumeAt === "number", "billing saved the LSN it applied");
  billed = new Applied();
  followed = new Applied();
  feeds = run(billed, followed);
  const resumed = await billed.next((e) => e.key === second);
  check(resumed.op === "insert" && resumed.lsn > resumeAt!, `resumed after LSN ${resumeAt}: ${resumed.op}`);
  check(billed.events.every((e) => e.op !== "snapshot"), "no snapshot on resume");
  await followed.next((e) => e.key === second);
  await feeds.stop();
  const all = await billingClient.store(INVOICES_STORE).find();
  check(all.length === 2, `one invoice per order, got ${all.length}`);
  check(all.some((i) => i.key === first && i.paid === true), "the paid invoice kept its payment");

  const bad = await fetch(orders.url("/orders"), form({ title: "", amount: "-1" }));
  const problem = await bad.json();
  check(bad.status === 400 && problem.issues.length === 2, JSON.stringify(problem));
});
