/**
 * The AssemblyScript SDK sources (sdk/assemblyscript/) that `planck build` compiles into every
 * native service, carried as text imports so the compiled `planck` binary has them without any
 * file beside it. tests/host/native/build_test.ts checks that this list covers the folder.
 */
import s0 from "../../sdk/assemblyscript/bson.ts" with { type: "text" };
import s1 from "../../sdk/assemblyscript/bson_reader.ts" with { type: "text" };
import s2 from "../../sdk/assemblyscript/builder.ts" with { type: "text" };
import s3 from "../../sdk/assemblyscript/config.ts" with { type: "text" };
import s4 from "../../sdk/assemblyscript/filter.ts" with { type: "text" };
import s5 from "../../sdk/assemblyscript/host.ts" with { type: "text" };
import s6 from "../../sdk/assemblyscript/html.ts" with { type: "text" };
import s7 from "../../sdk/assemblyscript/http.ts" with { type: "text" };
import s8 from "../../sdk/assemblyscript/json.ts" with { type: "text" };
import s9 from "../../sdk/assemblyscript/json_writer.ts" with { type: "text" };
import s10 from "../../sdk/assemblyscript/mod.ts" with { type: "text" };
import s11 from "../../sdk/assemblyscript/planck.ts" with { type: "text" };
import s12 from "../../sdk/assemblyscript/router.ts" with { type: "text" };
import s13 from "../../sdk/assemblyscript/topics.ts" with { type: "text" };

/** Source text by file name in sdk/assemblyscript/ ("bson.ts" …). */
export const SDK_SOURCES: Readonly<Record<string, string>> = {
  "bson.ts": s0,
  "bson_reader.ts": s1,
  "builder.ts": s2,
  "config.ts": s3,
  "filter.ts": s4,
  "host.ts": s5,
  "html.ts": s6,
  "http.ts": s7,
  "json.ts": s8,
  "json_writer.ts": s9,
  "mod.ts": s10,
  "planck.ts": s11,
  "router.ts": s12,
  "topics.ts": s13,
};
