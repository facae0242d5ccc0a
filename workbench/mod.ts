/**
 * The workbench: the browser control plane and its JSON API on port 2369 (docs/workbench.md).
 * `createWorkbench` is the factory `startServer` takes as `StartOptions.workbench`.
 */
export { createWorkbench } from "./server.ts";
export { CSRF_HEADER, SESSION_COOKIE } from "./sessions.ts";
