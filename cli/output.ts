/**
 * How client commands print results: JSON lines on stdout (an array result prints one line per
 * element, anything else one line). bigint prints as a number when it is exact, else as a string;
 * dates print as ISO strings; bytes as base64.
 */

/** Encodes one value as a JSON line. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Prints a result as JSON lines. */
export function printResult(
  result: unknown,
  write: (line: string) => void = (line) => console.log(line),
): void {
  if (Array.isArray(result)) { for (const item of result) write(jsonLine(item)); }
  else write(jsonLine(result ?? null));
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) {
    let text = "";
    for (const byte of value) text += String.fromCharCode(byte);
    return btoa(text);
  }
  return value;
}
