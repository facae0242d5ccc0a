/**
 * Auto-escaping HTML templates for hypermedia fragments (HTMX, Alpine, Datastar):
 * `html\`<li>${order.title}</li>\`` escapes every interpolated value unless it is itself Html
 * (a nested template or `raw(...)`); arrays are joined; null, undefined and false render nothing.
 *
 * Invariants: text from a value never reaches the output unescaped unless wrapped by `raw`.
 */

/** A piece of HTML that is already safe to emit. */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `text` with &, <, >, " and ' escaped. */
export function escapeHtml(text: string): string {
  // Most values need no escaping, so look first. In QuickJS `search` is a third of the cost of
  // `RegExp.prototype.test` (0.4 vs 1.2 µs for a short string), and either is far cheaper than a
  // replace with a callback.
  return text.search(NEEDS_ESCAPE) < 0 ? text : text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const NEEDS_ESCAPE = /[&<>"']/;

/** Marks trusted markup as Html (never pass user input). */
export function raw(markup: string): Html {
  return new Html(markup);
}

function render(value: unknown): string {
  if (typeof value === "string") return value.search(NEEDS_ESCAPE) < 0 ? value : escapeHtml(value);
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) {
    // A loop, not map + join: each interpreted call costs in QuickJS, and most items are Html.
    let out = "";
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      out += item instanceof Html ? item.value : render(item);
    }
    return out;
  }
  return escapeHtml(String(value));
}

/** The tagged template: interpolations are escaped, nested Html is kept. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    // The common cases inline (a plain string, nested Html): one interpreted call less per value.
    if (typeof value === "string") {
      out += (value.search(NEEDS_ESCAPE) < 0 ? value : escapeHtml(value)) + strings[i + 1];
    } else if (value instanceof Html) out += value.value + strings[i + 1];
    else out += render(value) + strings[i + 1];
  }
  return new Html(out);
}
