/**
 * The shop's typed models: each declares one store's fields once. The same declaration validates
 * every write (defaults applied, every bad field named), decodes every read and gives the type.
 */
import { type Infer, model, schema } from "planck";

export const ORDER_STATUSES = ["open", "paid", "shipped"] as const;

/** A product of the catalog (store "products"). */
export const Product = model("products", {
  name: schema.string({ min: 1, max: 100 }),
  price: schema.number({ min: 0 }),
  stock: schema.number({ min: 0, integer: true }).default(0),
});
export type Product = Infer<typeof Product>;

/** An order of one product (store "orders"). */
export const Order = model("orders", {
  product: schema.string({ pattern: /^[0-9a-f]{32}$/ }),
  quantity: schema.number({ min: 1, max: 100, integer: true }).default(1),
  status: schema.enum(ORDER_STATUSES).default("open"),
  created: schema.date().default(() => new Date()),
});
export type Order = Infer<typeof Order>;
