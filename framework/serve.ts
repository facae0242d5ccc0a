/**
 * The guest entry points (docs/wasm-abi.md): `serve(app)` defines the globals the host calls,
 * `__planck_handle(requestJson)` → reply JSON (a promise is awaited by the host) and
 * `__planck_describe()` → the routes, indexes and assets `planck build` writes into the manifest.
 */
import type { App } from "./app.ts";
import type { RequestData } from "./context.ts";
import { decodeTagged, encodeTagged } from "./tagged_json.ts";

/** Installs `app` as the service's request handler. */
export function serve(app: App): void {
  const scope = globalThis as Record<string, unknown>;
  scope.__planck_handle = async (json: string): Promise<string> => {
    const reply = await app.fetch(decodeTagged(json) as RequestData);
    return encodeTagged(reply);
  };
  scope.__planck_describe = (): string => JSON.stringify(app.describe());
}
