/** The examples built once per process (several fuzz rounds deploy the same bytes). */
import { buildService } from "../../../host/wasm/build.ts";
import { buildNativeService } from "../../../host/native/build.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const cache = new Map<string, Promise<Uint8Array>>();

/** examples/orders (JS tier) or examples/orders-native (native tier), as a `.wasm`. */
export function builtExample(name: "orders" | "orders-native"): Promise<Uint8Array> {
  let built = cache.get(name);
  if (built === undefined) {
    const dir = `${ROOT}examples/${name}`;
    built = name === "orders"
      ? buildService(dir).then((b) => b.wasm)
      : buildNativeService(dir).then((b) => b.wasm);
    cache.set(name, built);
  }
  return built;
}
