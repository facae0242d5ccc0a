/** The orders system's typed model (store "orders"): declared once, validated on every write. */
import { type Infer, model, schema } from "planck";

/** An order only moves forward: billing's invoice makes it "invoiced", the payment "paid". */
export const ORDER_STATUSES = ["open", "invoiced", "paid"] as const;

export const Order = model("orders", {
  title: schema.string({ min: 1, max: 200 }),
  amount: schema.number({ min: 0 }),
  status: schema.enum(ORDER_STATUSES).default("open"),
  created: schema.date().default(() => new Date()),
});
export type Order = Infer<typeof Order>;
