/**
 * The operations endpoints of the JSON API (docs/workbench.md): schedules, backups, replication
 * and the live change stream. The same auth as every endpoint (server.ts); access per endpoint
 * (schedules and backups: admin; replication: read; a watch: read on its store).
 *
 * Invariants: bodies are bounded and strict (unknown fields refused); names in paths are checked
 * by the part they name (schedule names by the scheduler, backup names against BACKUP_NAME).
 */
import type { Route } from "./api.ts";
import * as backups from "./backups.ts";
import { checkWatch, LiveStreams, watchResponse } from "./live.ts";
import { callOp } from "./ops.ts";
import { replicationView } from "./replication.ts";
import { API_BODY_BYTES_MAX } from "./limits.ts";
import { expectKeys, intParam, invalidField, readBody, readJson } from "./request_body.ts";
import { cronPreview, editSchedule, history, listSchedules } from "./schedules.ts";

/** The live streams of each workbench (ended on logout and shutdown). */
const STREAMS = new WeakMap<object, LiveStreams>();

/** The live streams of the workbench whose parts are `parts`. */
export function liveStreams(parts: object): LiveStreams {
  let streams = STREAMS.get(parts);
  if (streams === undefined) STREAMS.set(parts, streams = new LiveStreams());
  return streams;
}

function optionsField(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const options = body.options;
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw invalidField("options", "an object");
  }
  return options as Record<string, unknown>;
}

function stringOr(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalidField(field, "a string");
  return value;
}

/** The routes. */
export const OPS_ROUTES: Route[] = [
  ["GET", "/api/schedules", async ({ parts, who }) => ({ schedules: await listSchedules(parts, who) })],
  ["POST", "/api/schedules", async ({ parts, who, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["name", "task", "cron", "timezone", "enabled", "options"]);
    return await callOp(parts, who, "schedule", { action: "add", ...body });
  }],
  ["GET", "/api/schedules/history", async ({ parts, who, url }) => ({
    runs: await history(parts, who, url.searchParams.get("name") ?? undefined, intParam(url, "limit") ?? 100),
  })],
  ["GET", "/api/schedules/preview", ({ url }) => ({
    next: cronPreview(
      url.searchParams.get("cron") ?? "",
      url.searchParams.get("timezone") || "UTC",
      intParam(url, "count"),
    ),
  })],
  ["PUT", "/api/schedules/:name", async ({ parts, who, params, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["cron", "timezone", "options"]);
    return await editSchedule(parts, who, params.name, {
      cron: stringOr(body, "cron"),
      timezone: stringOr(body, "timezone"),
      options: optionsField(body),
    });
  }],
  [
    "POST",
    "/api/schedules/:name/run",
    ({ parts, who, params }) => callOp(parts, who, "schedule", { action: "run", name: params.name }),
    200,
  ],
  [
    "POST",
    "/api/schedules/:name/enable",
    ({ parts, who, params }) => callOp(parts, who, "schedule", { action: "enable", name: params.name }),
    200,
  ],
  [
    "POST",
    "/api/schedules/:name/disable",
    ({ parts, who, params }) => callOp(parts, who, "schedule", { action: "disable", name: params.name }),
    200,
  ],
  [
    "DELETE",
    "/api/schedules/:name",
    ({ parts, who, params }) => callOp(parts, who, "schedule", { action: "rm", name: params.name }),
  ],
  ["GET", "/api/backups", async ({ parts, who }) => ({
    backups: await backups.listBackups(parts, who),
    dirs: backups.backupDirs(parts),
  })],
  ["POST", "/api/backups", async ({ parts, who, request }) => {
    expectKeys(await readJsonOrEmpty(request), []);
    return await backups.createBackup(parts, who);
  }],
  [
    "POST",
    "/api/backups/:name/verify",
    ({ parts, who, params }) => backups.verify(parts, who, params.name),
    200,
  ],
  ["POST", "/api/backups/:name/restore", async ({ parts, who, params, request }) => {
    const body = await readJson(request);
    expectKeys(body, ["target"]);
    return await backups.restore(parts, who, params.name, body.target);
  }, 200],
  [
    "GET",
    "/api/backups/:name/download",
    ({ parts, who, params, request }) => backups.download(parts, who, params.name, request.method === "HEAD"),
  ],
  ["GET", "/api/replication", ({ parts, who }) => replicationView(parts, who)],
  [
    "GET",
    "/api/watch",
    ({ parts, who, url, request }) =>
      request.method === "HEAD"
        ? (checkWatch(parts, who, url),
          new Response(null, { headers: { "content-type": "text/event-stream" } }))
        : watchResponse(parts, who, url, liveStreams(parts)),
  ],
  ["GET", "/api/watch/check", ({ parts, who, url }) => checkWatch(parts, who, url)],
];

/** A JSON object body, or {} for an empty one. */
async function readJsonOrEmpty(request: Request): Promise<Record<string, unknown>> {
  const bytes = await readBody(request, API_BODY_BYTES_MAX, "API_BODY_BYTES_MAX");
  if (new TextDecoder().decode(bytes).trim() === "") return {};
  return await readJson(new Request("http://body/", { method: "POST", body: bytes as BodyInit }));
}
