/**
 * The handler framework for Planck services (guest side: runs inside the service `.wasm`, imports
 * nothing server-side). Routes, middleware, params, query, JSON and form bodies, schema
 * validation, cookies and sessions, auto-escaping `html` templates, JSON, streams, redirects,
 * static assets, 404/405, and store access through the typed builder over host calls.
 *
 * @example
 * ```ts
 * import { createApp, html } from "./mod.ts";
 * const app = createApp();
 * app.get("/hello/:name", (c) => c.html(html`<p>Hello, ${c.req.param("name")}</p>`));
 * export default app;
 * ```
 * @module
 */
export { App, type Asset, createApp, type Handler, type IndexDeclaration, type Middleware } from "./app.ts";
export {
  Context,
  type CookieOptions,
  HttpError,
  parseForm,
  type Reply,
  type RequestData,
  RequestView,
} from "./context.ts";
export { escapeHtml, Html, html, raw } from "./html.ts";
export { type FormFile, type MultipartForm } from "./multipart.ts";
export { currentLsn, HostError, hostTransport, log, querySync, randomHex, store } from "./host.ts";
export { compilePattern, matchPattern, type Pattern, Router } from "./router.ts";
export { type Infer, type Issue, type Schema, schema, validate } from "./schema.ts";
export { type Model, model, type QueryRunner, ValidationError } from "./model.ts";
export { Session, type SessionOptions, sessions } from "./session.ts";
export { serve } from "./serve.ts";
export { decodeTagged, encodeTagged } from "./tagged_json.ts";
export {
  type ElementsPatch,
  type EventHandler,
  type OnSource,
  type RenderResult,
  type TopicEvent,
  type TopicFormat,
  type TopicOptions,
} from "./topics.ts";
export {
  datastar,
  DATASTAR_PATCH_ELEMENTS,
  DATASTAR_PATCH_SIGNALS,
  executeScript,
  type ExecuteScriptOptions,
  patchElements,
  type PatchElementsOptions,
  type PatchMode,
  patchSignals,
  type PatchSignalsOptions,
  readSignals,
  removeElements,
  removeSignals,
} from "./datastar.ts";
