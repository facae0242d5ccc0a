/**
 * Service ops (admin only): `deploy {wasm}` → `{name, version, routes}`, `undeploy {name}` →
 * `{undeployed}`, `services` → `{services: [...]}`.
 *
 * Invariants: the op table requires the admin role before any of these run; a refused deploy
 * changes nothing (the registry validates before it switches).
 */
import { PlanckError } from "../../protocol/errors.ts";
import { expectFields, type OpCall, type ServiceControl, stringField } from "./request.ts";

function servicesOf(call: OpCall): ServiceControl {
  if (call.ctx.services === undefined) {
    throw new PlanckError("unavailable", "This server hosts no services");
  }
  return call.ctx.services;
}

function bytesField(call: OpCall, field: string): Uint8Array {
  const value = call.request[field] as
    | { _bsontype?: string; buffer?: Uint8Array; position?: number }
    | Uint8Array;
  if (value instanceof Uint8Array) return value;
  if (value?._bsontype === "Binary" && value.buffer instanceof Uint8Array) {
    return value.buffer.subarray(0, value.position ?? value.buffer.length);
  }
  throw new PlanckError("invalid_argument", `Field "${field}" must be binary (the service .wasm)`, { field });
}

/** `deploy {wasm}`: validates, warms and switches to the uploaded service. */
export async function opDeploy(call: OpCall): Promise<unknown> {
  expectFields(call.request, ["wasm"]);
  const manifest = await servicesOf(call).deploy(bytesField(call, "wasm"));
  return { name: manifest.name, version: manifest.version, routes: manifest.routes };
}

/** `undeploy {name}`. */
export async function opUndeploy(call: OpCall): Promise<unknown> {
  expectFields(call.request, ["name"]);
  return { undeployed: await servicesOf(call).undeploy(stringField(call.request, "name")) };
}

/** `services`: the deployed services. */
export function opServices(call: OpCall): unknown {
  expectFields(call.request, []);
  return { services: servicesOf(call).list() };
}
