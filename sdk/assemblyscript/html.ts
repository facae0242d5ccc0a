/**
 * HTML for AssemblyScript services: `escapeHtml(s)`, a string builder, and `html()`, a fragment
 * builder whose `text()` escapes and `raw()` does not:
 *
 *     html().raw("<li>").text(order.getString("title")).raw("</li>").toString()
 *
 * (AssemblyScript has no tagged templates that escape, so interpolation is explicit.)
 *
 * Invariants: text added with `text()`, `int()` or `fixed()` never reaches the output unescaped.
 */

/** `text` with &, <, >, " and ' escaped (returned as is when there is nothing to escape). */
export function escapeHtml(text: string): string {
  let i = 0;
  while (i < text.length && escapeOf(text.charCodeAt(i)).length == 0) i++;
  if (i == text.length) return text;
  const out = new StringBuilder().add(text.substring(0, i));
  let run = i;
  for (; i < text.length; i++) {
    const escape = escapeOf(text.charCodeAt(i));
    if (escape.length == 0) continue;
    out.add(text.substring(run, i)).add(escape);
    run = i + 1;
  }
  return out.add(text.substring(run)).toString();
}

function escapeOf(c: i32): string {
  if (c == 38) return "&amp;";
  if (c == 60) return "&lt;";
  if (c == 62) return "&gt;";
  if (c == 34) return "&quot;";
  if (c == 39) return "&#39;";
  return "";
}

/** Concatenates many strings in one copy (`+=` in a loop copies quadratically). */
export class StringBuilder {
  private parts: string[] = [];

  add(s: string): StringBuilder {
    if (s.length > 0) this.parts.push(s);
    return this;
  }

  toString(): string {
    return this.parts.join("");
  }
}

/** An HTML fragment under construction. */
export class Html {
  private out: StringBuilder = new StringBuilder();

  /** Appends trusted markup as is (never user input). */
  raw(markup: string): Html {
    this.out.add(markup);
    return this;
  }

  /** Appends text, escaped. */
  text(value: string): Html {
    this.out.add(escapeHtml(value));
    return this;
  }

  /** Appends an integer. */
  int(value: i64): Html {
    this.out.add(value.toString());
    return this;
  }

  /** Appends a number with `digits` decimals (like JavaScript's toFixed). */
  fixed(value: f64, digits: i32 = 2): Html {
    this.out.add(formatFixed(value, digits));
    return this;
  }

  /** Appends another fragment. */
  add(fragment: Html): Html {
    this.out.add(fragment.toString());
    return this;
  }

  toString(): string {
    return this.out.toString();
  }
}

/** A new HTML fragment. */
export function html(): Html {
  return new Html();
}

/** Most decimals formatFixed writes (i64 arithmetic keeps 15 significant digits exact). */
const FIXED_DIGITS_MAX = 9;

/** `value` with `digits` decimals, rounded half away from zero ("NaN", "Infinity" as in JS). */
export function formatFixed(value: f64, digits: i32 = 2): string {
  if (!isFinite(value)) return isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  const places = digits < 0 ? 0 : digits > FIXED_DIGITS_MAX ? FIXED_DIGITS_MAX : digits;
  const scale = Math.pow(10, places);
  const scaled = Math.round(Math.abs(value) * scale);
  if (scaled >= 9007199254740992) return value.toString();
  const n = <i64> scaled;
  const whole = (n / <i64> scale).toString();
  const sign = value < 0 && n != 0 ? "-" : "";
  if (places == 0) return sign + whole;
  return sign + whole + "." + (n % <i64> scale).toString().padStart(places, "0");
}
