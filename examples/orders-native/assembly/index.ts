/**
 * The orders example on the native tier (AssemblyScript): the JSON API of examples/orders over
 * the same kind of store, plus one HTML fragment. Build with `planck build examples/orders-native`;
 * every route lies under the prefix "/native" (planck.json).
 *
 *   GET  /native/ping                 "pong"
 *   GET  /native/api/orders?status=X  up to 20 orders with that status (index orders_by_status),
 *                                     or the 20 newest without a status
 *   GET  /native/api/orders/:id       one order, or 404
 *   POST /native/api/orders           {"title", "amount"} → 201 {"key"}
 *   GET  /native/orders/:id/card      the order as an HTML <li>
 *
 * and the live topic "native-orders": `GET /events?topic=native-orders` streams every write to the
 * store as a JSON event (`{lsn, op, store, key, doc?}`), served by the host.
 */
import {
  BSON_DOUBLE,
  BSON_INT32,
  BSON_INT64,
  BSON_STRING,
  BsonDoc,
  doc,
  eq,
  html,
  index,
  isKey,
  jsonString,
  nowMs,
  Request,
  Response,
  route,
  store,
  toJson,
  toJsonArray,
  topic,
} from "planck";

export { planck_alloc, planck_describe, planck_handle } from "planck";

const LIST_LIMIT = 20;
const TITLE_LENGTH_MAX = 200;

index("orders_by_status", "orders", ["status"]);
topic("native-orders", "orders");

route("GET", "/ping", ping);
route("GET", "/api/orders", listOrders);
route("GET", "/api/orders/:id", getOrder);
route("POST", "/api/orders", createOrder);
route("GET", "/orders/:id/card", orderCard);

function ping(_req: Request): Response {
  return Response.text("pong");
}

function isStatus(status: string): bool {
  return status == "open" || status == "paid" || status == "shipped";
}

function listOrders(req: Request): Response {
  const status = req.queryParam("status");
  if (status !== null && isStatus(status)) {
    return Response.json(toJsonArray(store("orders").filter(eq("status", status)).limit(LIST_LIMIT).find()));
  }
  return Response.json(toJsonArray(store("orders").orderBy("created", "desc").limit(LIST_LIMIT).find()));
}

/** The order with the route's :id, or null. */
function requireOrder(req: Request): BsonDoc | null {
  const key = req.param("id");
  return isKey(key) ? store("orders").get(key) : null;
}

function notFound(req: Request): Response {
  return Response.json('{"error":"not_found","key":' + jsonString(req.param("id")) + "}", 404);
}

function getOrder(req: Request): Response {
  const order = requireOrder(req);
  return order === null ? notFound(req) : Response.json(toJson(order));
}

function issue(field: string, message: string): Response {
  return Response.json(
    '{"issues":[{"field":' + jsonString(field) + ',"message":' + jsonString(message) + "}]}",
    400,
  );
}

function createOrder(req: Request): Response {
  const body = req.json();
  if (body === null) return issue("", "must be a JSON object");
  if (body.typeOf("title") != BSON_STRING) return issue("title", "is required");
  const title = body.getString("title");
  if (title.length < 1 || title.length > TITLE_LENGTH_MAX) {
    return issue("title", "must be 1 to 200 characters");
  }
  const type = body.typeOf("amount");
  if (type != BSON_DOUBLE && type != BSON_INT32 && type != BSON_INT64) {
    return issue("amount", "must be a number");
  }
  const amount = body.getF64("amount");
  if (!(amount >= 0)) return issue("amount", "must be at least 0");
  const order = doc()
    .addString("title", title)
    .addF64("amount", amount)
    .addString("status", "open")
    .addDate("created", <i64> nowMs());
  const key = store("orders").insert(order);
  return Response.json('{"key":' + jsonString(key) + "}", 201);
}

function orderCard(req: Request): Response {
  const order = requireOrder(req);
  if (order === null) return Response.html("<p>No such order</p>", 404);
  const key = order.getString("key");
  const fragment = html()
    .raw('<li id="order-').text(key).raw('">\n  <span>').text(order.getString("title"))
    .raw("</span> <span>").fixed(order.getF64("amount"), 2)
    .raw('</span>\n  <span class="status">').text(order.getString("status")).raw("</span>\n</li>");
  return Response.html(fragment.toString());
}
