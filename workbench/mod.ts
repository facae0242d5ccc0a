/**
 * The workbench: control plane API and browser UI on port 2369.
 * TODO(#5): not built yet; `planck start` reserves the port.
 */
export {};
