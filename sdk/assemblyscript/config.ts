/**
 * Build-time settings of a native service. `planck build` replaces this file's text with the
 * values from planck.json (the "prefix" every route is registered under); this default is what a
 * plain `asc` build gets.
 *
 * Invariants: PREFIX is "" or "/" followed by path segments, without a trailing "/".
 */

/** The path prefix of every route ("" for none). */
export const PREFIX = "";
