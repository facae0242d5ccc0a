/**
 * A test client of Server-Sent Events over fetch: reads blocks (`event`, `id`, `data` fields; data
 * lines joined with "\n") exactly as an EventSource would parse them, comments skipped.
 */

/** One parsed block. */
export interface SseBlock {
  event?: string;
  id?: string;
  data?: string;
  /** The raw text of the block. */
  raw: string;
}

export class SseReader {
  readonly contentType: string | null;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  private constructor(response: Response) {
    this.contentType = response.headers.get("content-type");
    this.#reader = response.body!.getReader();
  }

  /** Connects; throws unless the answer is 200. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const response = await fetch(url, { headers });
    if (response.status !== 200) {
      throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
    }
    return new SseReader(response);
  }

  /** The next block that is not only comments; null when the stream ended. */
  async next(): Promise<SseBlock | null> {
    while (true) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const raw = this.#buffer.slice(0, end + 2);
        this.#buffer = this.#buffer.slice(end + 2);
        const block = parse(raw);
        if (block !== null) return block;
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /** The next block that carries data (an event an EventSource would dispatch). */
  async nextEvent(): Promise<SseBlock> {
    while (true) {
      const block = await this.next();
      if (block === null) throw new Error("The event stream ended");
      if (block.data !== undefined) return block;
    }
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

function parse(raw: string): SseBlock | null {
  const block: SseBlock = { raw };
  let fields = 0;
  const data: string[] = [];
  for (const line of raw.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    fields++;
    if (name === "data") data.push(value);
    else if (name === "event") block.event = value;
    else if (name === "id") block.id = value;
  }
  if (fields === 0) return null;
  if (data.length > 0) block.data = data.join("\n");
  return block;
}
