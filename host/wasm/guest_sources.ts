/**
 * The guest library sources `planck build` bundles into every service: the typed builder and the
 * handler framework, carried as text imports so the compiled `planck` binary has them without
 * any file beside it. tests/host/wasm/build_test.ts checks that this list covers builder/ and
 * framework/.
 */
import s0 from "../../builder/aggregates.ts" with { type: "text" };
import s1 from "../../builder/condition.ts" with { type: "text" };
import s2 from "../../builder/mod.ts" with { type: "text" };
import s3 from "../../builder/paths.ts" with { type: "text" };
import s4 from "../../builder/query_builder.ts" with { type: "text" };
import s5 from "../../builder/shorthand.ts" with { type: "text" };
import s6 from "../../builder/transport.ts" with { type: "text" };
import s7 from "../../builder/where.ts" with { type: "text" };
import s8 from "../../protocol/query_document.ts" with { type: "text" };
import s9 from "../../framework/app.ts" with { type: "text" };
import s10 from "../../framework/context.ts" with { type: "text" };
import s11 from "../../framework/host.ts" with { type: "text" };
import s12 from "../../framework/html.ts" with { type: "text" };
import s13 from "../../framework/mod.ts" with { type: "text" };
import s14 from "../../framework/router.ts" with { type: "text" };
import s15 from "../../framework/schema.ts" with { type: "text" };
import s16 from "../../framework/serve.ts" with { type: "text" };
import s17 from "../../framework/session.ts" with { type: "text" };
import s18 from "../../framework/tagged_json.ts" with { type: "text" };
import s19 from "../../framework/multipart.ts" with { type: "text" };
import s20 from "../../framework/guest_json.ts" with { type: "text" };
import s21 from "../../framework/topics.ts" with { type: "text" };
import s22 from "../../framework/datastar.ts" with { type: "text" };
import s23 from "../../builder/watch.ts" with { type: "text" };
import s24 from "../../framework/model.ts" with { type: "text" };

/** Source text by repository path ("builder/mod.ts" …). */
export const GUEST_SOURCES: Readonly<Record<string, string>> = {
  "builder/aggregates.ts": s0,
  "builder/condition.ts": s1,
  "builder/mod.ts": s2,
  "builder/paths.ts": s3,
  "builder/query_builder.ts": s4,
  "builder/shorthand.ts": s5,
  "builder/transport.ts": s6,
  "builder/watch.ts": s23,
  "builder/where.ts": s7,
  "protocol/query_document.ts": s8,
  "framework/app.ts": s9,
  "framework/context.ts": s10,
  "framework/guest_json.ts": s20,
  "framework/host.ts": s11,
  "framework/html.ts": s12,
  "framework/mod.ts": s13,
  "framework/model.ts": s24,
  "framework/multipart.ts": s19,
  "framework/router.ts": s14,
  "framework/schema.ts": s15,
  "framework/serve.ts": s16,
  "framework/session.ts": s17,
  "framework/tagged_json.ts": s18,
  "framework/topics.ts": s21,
  "framework/datastar.ts": s22,
};

/** The guest entry of the library: what a service gets for `import … from "planck"` (or Planck's mod.ts). */
export const GUEST_ENTRY = "planck.ts";

/** Source of GUEST_ENTRY: the builder and the framework (not the TCP client, which needs sockets). */
export const GUEST_ENTRY_SOURCE = 'export * from "./builder/mod.ts";\nexport * from "./framework/mod.ts";\n';
