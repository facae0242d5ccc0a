/** The version of this Planck build (shown by the workbench and `/api/status`). */
export const PLANCK_VERSION = "0.1.0";
