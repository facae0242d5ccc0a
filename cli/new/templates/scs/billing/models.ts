/** The billing system's typed model (store "invoices"): declared once, validated on every write. */
import { type Infer, model, schema } from "planck";

export const Invoice = model("invoices", {
  order: schema.string({ pattern: /^[0-9a-f]{32}$/ }),
  title: schema.string({ min: 1, max: 200 }),
  amount: schema.number({ min: 0 }),
  paid: schema.boolean().default(false),
  created: schema.date().default(() => new Date()),
});
export type Invoice = Infer<typeof Invoice>;
