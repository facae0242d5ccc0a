/**
 * The guest entry points (docs/wasm-abi.md): `serve(app)` defines the globals the host calls,
 * `__planck_handle(requestJson, body?, bodyText?)` → reply JSON (the body comes once: as text when
 * it is UTF-8 — its bytes then only on demand through `__planck_body()`, which `__planck_lazy_body`
 * asks the host for — else as a separate ArrayBuffer; a string reply body follows the JSON of
 * status and headers, see REPLY_MARK) (a promise is awaited by the host) and
 * `__planck_describe()` → the routes, indexes and assets `planck build` writes into the manifest.
 */
import type { App } from "./app.ts";
import type { RequestData } from "./context.ts";
import { decodeFromHost, encodeForHost, REPLY_MARK } from "./guest_json.ts";

/** Installs `app` as the service's request handler. */
export function serve(app: App): void {
  const scope = globalThis as Record<string, unknown>;
  scope.__planck_handle = async (json: string, body?: ArrayBuffer, bodyText?: string): Promise<string> => {
    const data = decodeFromHost(json) as RequestData;
    if (body !== undefined) data.body = new Uint8Array(body);
    if (bodyText !== undefined) data.bodyText = bodyText;
    const reply = await app.fetch(data);
    // A string crosses to the host as a C string, so a body holding U+0000 goes inside the JSON.
    if (typeof reply.body !== "string" || reply.body.indexOf("\0") >= 0) return encodeForHost(reply);
    return REPLY_MARK + encodeForHost({ status: reply.status, headers: reply.headers }) + "\n" + reply.body;
  };
  scope.__planck_describe = (): string => JSON.stringify(app.describe());
  // Tells the host this guest takes a UTF-8 body as text alone and asks for its bytes when needed.
  scope.__planck_lazy_body = true;
}
