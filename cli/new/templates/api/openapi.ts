/**
 * The OpenAPI 3.1 description of the routes in service.ts, served at `/openapi.json`. The test
 * checks that every route the service declares is described here.
 */
const KEY = { type: "string", pattern: "^[0-9a-f]{32}$" };
const ERROR = {
  description: "The error document",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["error", "message"],
        properties: {
          error: { type: "string", examples: ["invalid_argument", "not_found", "conflict"] },
          message: { type: "string" },
          issues: {
            type: "array",
            items: {
              type: "object",
              properties: { field: { type: "string" }, message: { type: "string" } },
            },
          },
        },
      },
    },
  },
};
const PRODUCT = {
  type: "object",
  required: ["name", "price"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 100 },
    price: { type: "number", minimum: 0 },
    stock: { type: "integer", minimum: 0, default: 0 },
  },
};
const ORDER = {
  type: "object",
  required: ["product"],
  properties: {
    product: KEY,
    quantity: { type: "integer", minimum: 1, maximum: 100, default: 1 },
    status: { type: "string", enum: ["open", "paid", "shipped"], default: "open" },
    created: { type: "string", format: "date-time" },
  },
};
const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const keyParam = [{ name: "key", in: "path", required: true, schema: KEY }];

export const OPENAPI = {
  openapi: "3.1.0",
  info: { title: "__NAME__", version: "0.1.0" },
  paths: {
    "/openapi.json": { get: { summary: "This description", responses: { 200: json({}, "OpenAPI") } } },
    "/api/products": {
      get: {
        summary: "List products",
        responses: { 200: json({ type: "array", items: PRODUCT }, "Products") },
      },
      post: {
        summary: "Add a product",
        requestBody: json(PRODUCT, "The product"),
        responses: { 201: json(PRODUCT, "Added, with its key"), 400: ERROR },
      },
    },
    "/api/products/{key}": {
      get: {
        summary: "One product",
        parameters: keyParam,
        responses: { 200: json(PRODUCT, "It"), 404: ERROR },
      },
    },
    "/api/orders": {
      get: {
        summary: "List orders, newest first",
        parameters: [{ name: "status", in: "query", schema: ORDER.properties.status }],
        responses: { 200: json({ type: "array", items: ORDER }, "Orders") },
      },
      post: {
        summary: "Order a product (takes it from stock)",
        requestBody: json(ORDER, "The order"),
        responses: { 201: json(ORDER, "Placed"), 400: ERROR, 404: ERROR, 409: ERROR },
      },
    },
    "/api/orders/{key}": {
      get: { summary: "One order", parameters: keyParam, responses: { 200: json(ORDER, "It"), 404: ERROR } },
      patch: {
        summary: "Change an order (e.g. its status)",
        parameters: keyParam,
        requestBody: json(ORDER, "Fields to change"),
        responses: { 200: json(ORDER, "Changed"), 400: ERROR, 404: ERROR },
      },
    },
  },
};
