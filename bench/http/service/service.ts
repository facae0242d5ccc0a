/**
 * The HTTP benchmark's Planck service (bench/http/main.ts builds and deploys it): the same three
 * routes as the Hono + node:sqlite peer in bench/http/peer/, over the store "items".
 *
 * - `GET /item/:key`          one document by key → an escaped `<article>` fragment (404 if absent);
 * - `GET /list?status=X`      the 20 newest documents with that status, through the index
 *                             `items_by_status (status, created desc)` → 20 `<article>`s;
 * - `POST /item` (form)       validates, inserts one document (durable before the answer: the
 *                             request's transaction commits with group commit) → 201 `<li id="item-KEY">`.
 *
 * Invariants: the markup is byte-for-byte what the peer renders for the same document.
 */
import { createApp, type Html, html, type Row, store, where } from "../../../mod.ts";

/** One item as stored (the peer harness's order). */
interface Item {
  user: string;
  status: string;
  amount: number;
  created: number;
  tags: string[];
  note: string;
}

const STATUSES = ["open", "paid", "shipped", "cancelled", "refunded"];
/** Documents per list page. */
const LIST_LIMIT = 20;
/** Longest accepted user name, characters. */
const USER_LENGTH_MAX = 100;
/** Longest stored note, characters. */
const NOTE_LENGTH_MAX = 500;
/** Tags kept per item. */
const TAGS_MAX = 8;

const app = createApp();
app.index("items_by_status", "items", ["status", "-created"]);

function renderItem(key: string, item: Item): Html {
  return html`
    <article id="item-${key}">
      <h2>${item.user}</h2>
      <p>${item.status} · ${item.amount.toFixed(2)}</p>
      <ul>${item.tags.map((t) => html`<li>${t}</li>`)}</ul>
    </article>
  `;
}

/** Validates a form body into an item; null when invalid. */
function toItem(form: Record<string, string>): Item | null {
  const user = (form.user ?? "").trim();
  const status = form.status ?? "open";
  const amount = Number(form.amount);
  const tags = (form.tags ?? "").split(",").map((t) => t.trim()).filter((t) => t).slice(0, TAGS_MAX);
  const note = (form.note ?? "").slice(0, NOTE_LENGTH_MAX);
  if (!user || user.length > USER_LENGTH_MAX || !STATUSES.includes(status)) return null;
  if (!Number.isFinite(amount) || amount < 0) return null;
  return { user, status, amount, created: Date.now(), tags, note };
}

app.get("/item/:key", async (c) => {
  const key = c.req.param("key");
  const item: Row<Item> | null = /^[0-9a-f]{32}$/.test(key) ? await store<Item>("items").get(key) : null;
  if (item === null) return c.html(html`<p class="error">item not found</p>`, 404);
  return c.html(renderItem(item.key, item));
});

app.get("/list", async (c) => {
  const status = c.req.query("status") ?? "open";
  const items = await store<Item>("items").filter(where("status").eq(status)).orderBy("created", "desc")
    .limit(LIST_LIMIT).find();
  return c.html(html`<section class="items">${items.map((item) => renderItem(item.key, item))}</section>`);
});

app.post("/item", async (c) => {
  const item = toItem(c.req.form());
  if (item === null) return c.html(html`<p class="error">invalid item</p>`, 400);
  const { inserted } = await store<Item>("items").insert(item);
  const key = inserted[0];
  return c.html(
    html`<li id="item-${key}">${item.user} · ${item.status} · ${item.amount.toFixed(2)}</li>`,
    201,
  );
});

export default app;
