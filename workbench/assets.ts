/**
 * The workbench's static files, embedded by import so the compiled binary carries them: htmx and
 * its SSE extension from their npm packages (never a CDN), the stylesheet and the client script.
 */
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import sse from "htmx-ext-sse/dist/sse.min.js" with { type: "text" };
import style from "./assets/style.css" with { type: "text" };
import app from "./assets/app.js" with { type: "text" };
import ops from "./assets/ops.js" with { type: "text" };

const ASSETS: Record<string, { body: string; type: string }> = {
  "/assets/htmx.min.js": { body: htmx, type: "text/javascript; charset=utf-8" },
  "/assets/sse.js": { body: sse, type: "text/javascript; charset=utf-8" },
  "/assets/style.css": { body: style, type: "text/css; charset=utf-8" },
  "/assets/app.js": { body: app, type: "text/javascript; charset=utf-8" },
  "/assets/ops.js": { body: ops, type: "text/javascript; charset=utf-8" },
};

/** The response for an asset path, or null. */
export function assetResponse(path: string): Response | null {
  const asset = ASSETS[path];
  if (asset === undefined) return null;
  return new Response(asset.body, {
    headers: { "content-type": asset.type, "cache-control": "max-age=300" },
  });
}
