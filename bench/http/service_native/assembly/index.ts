/**
 * The HTTP benchmark's service on the native tier (AssemblyScript): the same three routes and the
 * same markup as bench/http/service/ (QuickJS tier) and the Hono + node:sqlite peer, under the
 * prefix "/native", over its own store "items".
 *
 *   GET  /native/item/:key       one document by key → an escaped <article> (404 if absent)
 *   GET  /native/list?status=X   the 20 newest with that status (index items_by_status) → 20 <article>s
 *   POST /native/item (form)     validates, inserts durably → 201 <li id="item-KEY">
 */
import {
  BSON_STRING,
  BsonDoc,
  doc,
  eq,
  Html,
  html,
  index,
  isKey,
  ITEM,
  nowMs,
  Request,
  Response,
  route,
  store,
} from "planck";

export { planck_alloc, planck_describe, planck_handle } from "planck";

const LIST_LIMIT = 20;
/** First buffer of a list page's markup: 20 items of about 200 bytes each. */
const LIST_HTML_BYTES = 4096;
const USER_LENGTH_MAX = 100;
const NOTE_LENGTH_MAX = 500;
const TAGS_MAX = 8;

index("items_by_status", "items", ["status", "-created"]);

route("GET", "/item/:key", getItem);
route("GET", "/list", listItems);
route("POST", "/item", createItem);

function renderItem(out: Html, item: BsonDoc): void {
  out.raw('\n    <article id="item-').textOf(item, "key")
    .raw('">\n      <h2>').textOf(item, "user")
    .raw("</h2>\n      <p>").textOf(item, "status")
    .raw(" · ").fixed(item.getF64("amount"), 2)
    .raw("</p>\n      <ul>");
  const tags = item.itemsOf("tags");
  if (tags !== null) {
    while (tags.next()) if (tags.type == BSON_STRING) out.raw("<li>").textAt(tags).raw("</li>");
  }
  out.raw("</ul>\n    </article>\n  ");
}

function getItem(req: Request): Response {
  const key = req.param("key");
  const item = isKey(key) ? store("items").get(key) : null;
  if (item === null) return Response.html('<p class="error">item not found</p>', 404);
  const out = html();
  renderItem(out, item);
  return Response.htmlUtf8(out.bytes());
}

function listItems(req: Request): Response {
  const wanted = req.queryParam("status");
  const status = wanted === null ? "open" : wanted;
  const items = store("items").filter(eq("status", status)).orderBy("created", "desc").limit(LIST_LIMIT)
    .find();
  const out = html(LIST_HTML_BYTES).raw('<section class="items">');
  for (let i = 0; i < items.length; i++) renderItem(out, items[i]);
  return Response.htmlUtf8(out.raw("</section>").bytes());
}

function isStatus(s: string): bool {
  return s == "open" || s == "paid" || s == "shipped" || s == "cancelled" || s == "refunded";
}

function createItem(req: Request): Response {
  const form = req.text();
  const userField = formFieldOr(req, "user", "");
  const user = userField.trim();
  const status = formFieldOr(req, "status", "open");
  const amountText = formFieldOr(req, "amount", "");
  const amount = amountText.length == 0 ? NaN : parseFloat(amountText);
  const note = formFieldOr(req, "note", "");
  if (form.length == 0 || user.length == 0 || user.length > USER_LENGTH_MAX || !isStatus(status)) {
    return invalid();
  }
  if (!isFinite(amount) || amount < 0) return invalid();
  const item = doc()
    .addString("user", user)
    .addString("status", status)
    .addF64("amount", amount)
    .addF64("created", nowMs());
  const tags = formFieldOr(req, "tags", "").split(",");
  item.startArray("tags");
  for (let i = 0, kept = 0; i < tags.length && kept < TAGS_MAX; i++) {
    const tag = tags[i].trim();
    if (tag.length > 0) {
      item.addString(ITEM, tag);
      kept++;
    }
  }
  item.end().addString("note", note.length > NOTE_LENGTH_MAX ? note.substring(0, NOTE_LENGTH_MAX) : note);
  const key = store("items").insert(item);
  const out = html().raw('<li id="item-').text(key).raw('">').text(user).raw(" · ").text(status).raw(" · ")
    .fixed(amount, 2).raw("</li>");
  return Response.htmlUtf8(out.bytes(), 201);
}

function formFieldOr(req: Request, name: string, fallback: string): string {
  const value = req.formValue(name);
  return value === null ? fallback : value;
}

function invalid(): Response {
  return Response.html('<p class="error">invalid item</p>', 400);
}
