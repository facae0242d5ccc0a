/**
 * Front-end libraries served by Planck itself on the app port, so pages never need a public CDN:
 * `GET /_planck/assets/<name>` for the names in ASSETS (htmx, its SSE extension, Datastar, and the
 * dev-reload script of `planck dev`). The files are embedded by text imports, so the compiled binary
 * carries them; nothing is read from disk at run time.
 *
 * Caching: each answer carries a strong ETag (SHA-256 prefix of the bytes) and
 * `Cache-Control: public, max-age=ASSET_MAX_AGE_S`; a matching `If-None-Match` gets 304. No
 * credentials are needed (these are public library files), unlike the rest of `/_planck/`.
 *
 * Invariants: only GET and HEAD are answered (others get 405); an unknown name gets 404; the
 * body of a HEAD is empty with the GET's headers.
 */
import { bytesToHex } from "../../protocol/hex.ts";
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import htmxSse from "htmx-ext-sse/dist/sse.min.js" with { type: "text" };
// Datastar's package "exports" hide its browser bundle, so it is imported from node_modules by path
// (deno.json pins the version; `deno install` links it there).
import datastar from "../../node_modules/@starfederation/datastar/dist/datastar.js" with { type: "text" };
import devReload from "./dev_reload.js" with { type: "text" };

/** Path prefix of the served assets. */
export const ASSETS_PATH_PREFIX = "/_planck/assets/";
/** How long browsers may keep an asset without asking again, in seconds (one week). */
export const ASSET_MAX_AGE_S = 7 * 24 * 3600;

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
}

const JS = "text/javascript; charset=utf-8";

/** Name → source text; the versions are deno.json's. */
const SOURCES: Record<string, string> = {
  "htmx.min.js": htmx,
  "htmx-ext-sse.min.js": htmxSse,
  "datastar.js": datastar,
  "dev-reload.js": devReload,
};

let assets: Map<string, Asset> | undefined;

async function load(): Promise<Map<string, Asset>> {
  const out = new Map<string, Asset>();
  const encoder = new TextEncoder();
  for (const [name, text] of Object.entries(SOURCES)) {
    const body = encoder.encode(text);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    const hex = bytesToHex(digest.subarray(0, 12));
    out.set(name, { body, contentType: JS, etag: `"${hex}"` });
  }
  return out;
}

/** The names served under ASSETS_PATH_PREFIX. */
export function assetNames(): string[] {
  return Object.keys(SOURCES);
}

/** Answers a request under ASSETS_PATH_PREFIX. */
export async function serveAsset(request: Request, pathname: string, id: string): Promise<Response> {
  assets ??= await load();
  const headers: Record<string, string> = { "x-request-id": id };
  // HEAD arrives here as GET (host/http/server.ts answers it once for every path).
  if (request.method !== "GET") {
    return new Response("405 method not allowed\n", {
      status: 405,
      headers: { ...headers, allow: "GET, HEAD" },
    });
  }
  const asset = assets.get(pathname.slice(ASSETS_PATH_PREFIX.length));
  if (asset === undefined) {
    return new Response(`404 no asset "${pathname}" (request ${id})\n`, {
      status: 404,
      headers: { ...headers, "content-type": "text/plain; charset=utf-8" },
    });
  }
  headers.etag = asset.etag;
  headers["cache-control"] = `public, max-age=${ASSET_MAX_AGE_S}`;
  const match = request.headers.get("if-none-match");
  if (match !== null && match.split(",").some((tag) => tag.trim().replace(/^W\//, "") === asset.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers["content-type"] = asset.contentType;
  headers["content-length"] = String(asset.body.length);
  return new Response(asset.body, { status: 200, headers });
}
