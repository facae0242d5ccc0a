/**
 * What a deploy accepts: an uploaded `.wasm` checked for size, custom sections, manifest and ABI,
 * and turned into a ServiceUpload of its tier — a JS service (QuickJS engine pin + bundle) or a
 * native core-wasm service (imports checked, fuel injected) — and the instance factory of each.
 *
 * Invariants: the host never runs uploaded engine bytes (a JS service runs the host's own pinned
 * QuickJS and only its `planck.js` bundle); a native service runs only as rewritten by the fuel
 * injector; a stored upload (the registry's record) re-validates exactly like a fresh one.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { type NativeShape } from "../native/validate.ts";
import { SECTION_ABI } from "../native/core_abi.ts";
import { NativeInstance } from "../native/instance.ts";
import { loadPrepared, prepareNative } from "../native/prepare.ts";
import {
  type EnginePin,
  parseManifest,
  SECTION_ENGINE,
  SECTION_JS,
  SECTION_MANIFEST,
  SERVICE_BYTES_MAX,
  type ServiceManifest,
} from "../../protocol/abi.ts";
import type { InstanceFactory } from "../guest/pool.ts";
import { enginePin, type InstanceLimits, ServiceInstance, sha256Hex } from "../wasm/runtime.ts";
import { type CustomSection, readCustomSections } from "../guest/sections.ts";

/** A validated JS service. */
export interface JsUpload {
  tier: "js";
  manifest: ServiceManifest;
  bundle: string;
}

/** A validated native service: `code` is the fuel-injected module. */
export interface NativeUpload {
  tier: "native";
  manifest: ServiceManifest;
  code: Uint8Array;
  module: WebAssembly.Module;
  shape: NativeShape;
}

/** A validated upload of either tier. */
export type ServiceUpload = JsUpload | NativeUpload;

function mismatch(field: string, got: string, want: string): never {
  throw new PlanckError(
    "invalid_argument",
    `Engine mismatch: the service was built for ${field} ${got} but this host runs ${want}; ` +
      `rebuild it with this host's "planck build"`,
    { field: "engine" },
  );
}

function invalid(message: string, field: string): never {
  throw new PlanckError("invalid_argument", `Invalid service: ${message}`, { field });
}

function exactlyOne(sections: CustomSection[], name: string): CustomSection {
  const found = sections.filter((s) => s.name === name);
  if (found.length !== 1) {
    invalid(
      `expected one "${name}" custom section, found ${found.length} (build it with "planck build")`,
      name,
    );
  }
  return found[0];
}

/** Checks an uploaded `.wasm` of either tier. @throws PlanckError `limit_exceeded` or `invalid_argument` naming the problem */
export async function validateUpload(wasm: Uint8Array): Promise<ServiceUpload> {
  if (wasm.length > SERVICE_BYTES_MAX) {
    throw new PlanckError(
      "limit_exceeded",
      `Service too large: ${wasm.length} bytes (the limit is ${SERVICE_BYTES_MAX})`,
      { limit: "SERVICE_BYTES_MAX" },
    );
  }
  const sections = readCustomSections(wasm);
  const manifest = parseManifest(new TextDecoder().decode(exactlyOne(sections, SECTION_MANIFEST).payload));
  const native = sections.some((s) => s.name === SECTION_ABI);
  if (native && sections.some((s) => s.name === SECTION_ENGINE || s.name === SECTION_JS)) {
    invalid(
      `a native service ("${SECTION_ABI}") cannot also carry "${SECTION_ENGINE}" or "${SECTION_JS}"`,
      "tier",
    );
  }
  if (native !== (manifest.tier === "native")) {
    invalid(
      `the manifest says tier "${manifest.tier}" but the file is ${native ? "native" : "a JS service"}`,
      "tier",
    );
  }
  return native ? await validateNative(wasm, sections, manifest) : await validateJs(wasm, sections, manifest);
}

async function validateNative(
  wasm: Uint8Array,
  sections: CustomSection[],
  manifest: ServiceManifest,
): Promise<NativeUpload> {
  const text = new TextDecoder().decode(exactlyOne(sections, SECTION_ABI).payload);
  let abi: { abi?: unknown; version?: unknown } = {};
  try {
    abi = JSON.parse(text);
  } catch {
    invalid(`"${SECTION_ABI}" is not JSON`, SECTION_ABI);
  }
  if (abi.abi !== "planck-core" || abi.version !== 1) {
    invalid(
      `"${SECTION_ABI}" says ${text.slice(0, 80)}; this host speaks {"abi":"planck-core","version":1}`,
      SECTION_ABI,
    );
  }
  const prepared = await prepareNative(wasm);
  return { tier: "native", manifest, code: prepared.bytes, module: prepared.module, shape: prepared.shape };
}

async function validateJs(
  wasm: Uint8Array,
  sections: CustomSection[],
  manifest: ServiceManifest,
): Promise<JsUpload> {
  const decoder = new TextDecoder();
  const engine = exactlyOne(sections, SECTION_ENGINE);
  const bundle = decoder.decode(exactlyOne(sections, SECTION_JS).payload);
  let pin: EnginePin;
  try {
    pin = JSON.parse(decoder.decode(engine.payload));
  } catch {
    invalid(`"${SECTION_ENGINE}" is not JSON`, "engine");
  }
  const host = await enginePin();
  if (pin.package !== host.package || pin.version !== host.version) {
    mismatch("engine", `${pin.package}@${pin.version}`, `${host.package}@${host.version}`);
  }
  if (pin.sha256 !== host.sha256) mismatch("engine sha256", pin.sha256, host.sha256);
  const first = Math.min(...sections.filter((s) => s.name.startsWith("planck.")).map((s) => s.offset));
  const actual = await sha256Hex(wasm.subarray(0, first));
  if (actual !== host.sha256) mismatch("engine bytes with sha256", actual, host.sha256);
  return { tier: "js", manifest, bundle };
}

/** The record the registry stores for an upload (re-read by `restoreUpload`). */
export function storedUpload(upload: ServiceUpload): Record<string, unknown> {
  const base = { name: upload.manifest.name, manifest: JSON.stringify(upload.manifest) };
  return upload.tier === "js" ? { ...base, bundle: upload.bundle } : { ...base, code: upload.code };
}

/** An upload from its stored record (the bundle or the already-injected code). @throws PlanckError */
export async function restoreUpload(doc: Record<string, unknown>): Promise<ServiceUpload> {
  const manifest = parseManifest(String(doc.manifest));
  if (manifest.tier === "js") return { tier: "js", manifest, bundle: String(doc.bundle) };
  const code = doc.code instanceof Uint8Array ? doc.code : (doc.code as { buffer: Uint8Array }).buffer;
  const prepared = await loadPrepared(code);
  return { tier: "native", manifest, code: prepared.bytes, module: prepared.module, shape: prepared.shape };
}

/** Creates instances of `upload` with `limits`. */
export function instanceFactory(upload: ServiceUpload, limits: InstanceLimits): InstanceFactory {
  if (upload.tier === "js") return () => ServiceInstance.create(upload.bundle, limits);
  return () => NativeInstance.create(upload.module, upload.shape, limits);
}
