/**
 * Request bodies and parameters of the API: bounded reads, strict JSON objects (unknown fields
 * refused), integer query parameters.
 *
 * Invariants: a body is never read past its limit; every refusal is `invalid_argument` or
 * `limit_exceeded` naming the field or the limit.
 */
import { PlanckError } from "../protocol/errors.ts";
import { API_BODY_BYTES_MAX } from "./limits.ts";

/** Reads a body of at most `max` bytes. @throws PlanckError `limit_exceeded` */
export async function readBody(request: Request, max: number, limit: string): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new PlanckError("limit_exceeded", `Request body too large: the limit ${limit} is ${max} bytes`, {
      limit,
    });
  if (declared > max) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body) {
    total += chunk.length;
    if (total > max) throw tooLarge();
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export async function readJson(request: Request): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await readBody(request, API_BODY_BYTES_MAX, "API_BODY_BYTES_MAX"));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlanckError("invalid_argument", `Invalid JSON body: ${(error as Error).message}`, {
      field: "body",
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new PlanckError("invalid_argument", "Invalid JSON body: expected an object", { field: "body" });
  }
  return value as Record<string, unknown>;
}

export function expectKeys(body: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new PlanckError("invalid_argument", `Unknown field "${key.slice(0, 80)}"`, { field: key });
    }
  }
}

export function invalidField(field: string, expected: string): PlanckError {
  return new PlanckError("invalid_argument", `Invalid "${field}": expected ${expected}`, { field });
}

export function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw invalidField(name, "a non-negative integer");
  return Number(raw);
}
