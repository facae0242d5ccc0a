/** Every fuzz target, in the order `deno task fuzz` runs them. */
import type { FuzzTarget } from "../harness.ts";
import { pqlTarget } from "./pql.ts";
import { writeApiTarget } from "./write_api.ts";
import { diskBytesTarget } from "./disk_bytes.ts";
import { wireTarget } from "./wire.ts";
import { httpTarget } from "./http.ts";
import { wasmUploadTarget } from "./wasm_upload.ts";

// deno-lint-ignore no-explicit-any
export const FUZZ_TARGETS: FuzzTarget<any>[] = [
  pqlTarget,
  writeApiTarget,
  diskBytesTarget,
  wireTarget,
  httpTarget,
  wasmUploadTarget,
];
