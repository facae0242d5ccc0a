/**
 * Test assertions (no @std here: JSR is unreachable). Thin wrappers over node:assert with messages.
 */
import nodeAssert from "node:assert/strict";

/** Fails unless `condition` is truthy. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails when equal. */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Expects `fn` to throw (or reject) an error with `code` (PlanckError) and optional message part. */
export async function assertRejectsCode(
  fn: () => unknown,
  code: string,
  includes?: string,
): Promise<Error & { code?: string; location?: Record<string, unknown> }> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected an error with code "${code}", nothing was thrown`);
  const error = caught as Error & { code?: string; location?: Record<string, unknown> };
  nodeAssert.equal(error.code, code, `expected code "${code}", got "${error.code}": ${error.message}`);
  if (includes !== undefined) {
    nodeAssert.ok(error.message.includes(includes), `expected "${includes}" in: ${error.message}`);
  }
  return error;
}
