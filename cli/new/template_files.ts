/**
 * The files `planck new` writes, per style, embedded by text imports (the compiled binary carries
 * them; nothing is read from the source tree at run time). Generated list: keep it in step with
 * templates/ (tests/cli/new_test.ts checks that every template file is listed).
 */
import t0 from "./templates/api/README.md" with { type: "text" };
import t1 from "./templates/api/deno.json" with { type: "text" };
import t2 from "./templates/api/gitignore.txt" with { type: "text" };
import t3 from "./templates/api/openapi.ts" with { type: "text" };
import t4 from "./templates/api/planck.json" with { type: "text" };
import t5 from "./templates/api/service.ts" with { type: "text" };
import t6 from "./templates/api/service_test.ts" with { type: "text" };
import t7 from "./templates/monolith/README.md" with { type: "text" };
import t8 from "./templates/monolith/deno.json" with { type: "text" };
import t9 from "./templates/monolith/gitignore.txt" with { type: "text" };
import t10 from "./templates/monolith/models.ts" with { type: "text" };
import t11 from "./templates/monolith/planck.json" with { type: "text" };
import t12 from "./templates/monolith/service.ts" with { type: "text" };
import t13 from "./templates/monolith/service_test.ts" with { type: "text" };
import t14 from "./templates/monolith/static/app.css" with { type: "text" };
import t15 from "./templates/monolith/views/layout.ts" with { type: "text" };
import t16 from "./templates/monolith/views/orders.ts" with { type: "text" };
import t17 from "./templates/monolith/views/products.ts" with { type: "text" };
import t18 from "./templates/scs/README.md" with { type: "text" };
import t19 from "./templates/scs/billing/models.ts" with { type: "text" };
import t20 from "./templates/scs/billing/planck.json" with { type: "text" };
import t21 from "./templates/scs/billing/service.ts" with { type: "text" };
import t22 from "./templates/scs/billing/static/app.css" with { type: "text" };
import t23 from "./templates/scs/billing/systems.ts" with { type: "text" };
import t24 from "./templates/scs/deno.json" with { type: "text" };
import t25 from "./templates/scs/gitignore.txt" with { type: "text" };
import t26 from "./templates/scs/orders/models.ts" with { type: "text" };
import t27 from "./templates/scs/orders/planck.json" with { type: "text" };
import t28 from "./templates/scs/orders/service.ts" with { type: "text" };
import t29 from "./templates/scs/orders/static/app.css" with { type: "text" };
import t30 from "./templates/scs/orders/systems.ts" with { type: "text" };
import t31 from "./templates/scs/systems_test.ts" with { type: "text" };
import t32 from "./templates/scs/feed.ts" with { type: "text" };
import t33 from "./templates/scs/feeds.ts" with { type: "text" };
import t34 from "./templates/scs/billing/follow_orders.ts" with { type: "text" };
import t35 from "./templates/scs/orders/follow_billing.ts" with { type: "text" };

/** Template path (under templates/) → text. */
export const TEMPLATE_FILES: Record<string, string> = {
  "api/README.md": t0,
  "api/deno.json": t1,
  "api/gitignore.txt": t2,
  "api/openapi.ts": t3,
  "api/planck.json": t4,
  "api/service.ts": t5,
  "api/service_test.ts": t6,
  "monolith/README.md": t7,
  "monolith/deno.json": t8,
  "monolith/gitignore.txt": t9,
  "monolith/models.ts": t10,
  "monolith/planck.json": t11,
  "monolith/service.ts": t12,
  "monolith/service_test.ts": t13,
  "monolith/static/app.css": t14,
  "monolith/views/layout.ts": t15,
  "monolith/views/orders.ts": t16,
  "monolith/views/products.ts": t17,
  "scs/README.md": t18,
  "scs/billing/models.ts": t19,
  "scs/billing/planck.json": t20,
  "scs/billing/service.ts": t21,
  "scs/billing/static/app.css": t22,
  "scs/billing/systems.ts": t23,
  "scs/deno.json": t24,
  "scs/gitignore.txt": t25,
  "scs/orders/models.ts": t26,
  "scs/orders/planck.json": t27,
  "scs/orders/service.ts": t28,
  "scs/orders/static/app.css": t29,
  "scs/orders/systems.ts": t30,
  "scs/systems_test.ts": t31,
  "scs/feed.ts": t32,
  "scs/feeds.ts": t33,
  "scs/billing/follow_orders.ts": t34,
  "scs/orders/follow_billing.ts": t35,
};
