/**
 * Assertions catch programmer errors (broken invariants); they never validate user input.
 * Expensive whole-structure checks run only when PLANCK_INVARIANTS=1 (tests set it).
 */
import { PlanckError } from "../protocol/errors.ts";

/** Thrown when an engine invariant is broken: a bug, never bad input. Code `internal`. */
export class AssertionError extends PlanckError {
  constructor(message: string) {
    super("internal", `Assertion failed: ${message}`);
    this.name = "AssertionError";
  }
}

/** Throws AssertionError unless `condition` holds. One condition per call. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

function readInvariantsFlag(): boolean {
  try {
    return Deno.env.get("PLANCK_INVARIANTS") === "1";
  } catch {
    return false; // no env permission: the cheap checks only
  }
}

/** True when expensive invariant checks should run (PLANCK_INVARIANTS=1). */
export const INVARIANTS: boolean = readInvariantsFlag();
