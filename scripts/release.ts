/**
 * `deno run -A scripts/release.ts [--version V] [--targets T1,T2] [--binaries DIR] [--out DIR]`:
 * per-platform release archives of the compiled `planck` with SHA-256 sums.
 *
 * For each target (default: all of compile.ts TARGETS) it takes the binary `DIR/<target>/planck`
 * (`planck.exe` on Windows) — compiling it first with compile.ts when --binaries is not given —
 * and writes `OUT/planck-<V>-<target>.tar.gz` (default OUT dist/release, V from
 * host/version.ts) holding `planck-<V>-<target>/planck` (mode 0755), README.md and
 * docs/cli.md; then `OUT/SHA256SUMS` with one `<hex>  <archive>` line per archive, the format
 * `sha256sum -c` checks. Archives are ustar + gzip written here (no `tar` needed), with every
 * mtime set to SOURCE_DATE_EPOCH (else now), so the same inputs give the same bytes.
 *
 * Fails (exit 1) naming the target when a binary is missing or a compile fails; nothing is
 * packed from a binary that was not compiled.
 */
import * as path from "node:path";
import { PLANCK_VERSION } from "../host/version.ts";
import { compile, TARGETS } from "./compile.ts";

/** One file of an archive. */
export interface ArchiveEntry {
  name: string;
  bytes: Uint8Array;
  mode: number;
}

const BLOCK = 512;
/** ustar limits the plain name field to 100 bytes (we never need the prefix field). */
const TAR_NAME_MAX = 100;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

/** One ustar header block. */
function tarHeader(entry: ArchiveEntry, mtime: number): Uint8Array {
  const name = new TextEncoder().encode(entry.name);
  if (name.length > TAR_NAME_MAX) throw new Error(`archive name over ${TAR_NAME_MAX} bytes: ${entry.name}`);
  const header = new Uint8Array(BLOCK);
  const put = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset);
  header.set(name, 0);
  put(100, octal(entry.mode, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(entry.bytes.length, 12));
  put(136, octal(mtime, 12));
  put(148, "        "); // checksum counted as spaces
  put(156, "0");
  put(257, "ustar\0");
  put(263, "00");
  put(265, "root");
  put(297, "root");
  const sum = header.reduce((a, b) => a + b, 0);
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return header;
}

/** A tar archive of `entries` (regular files only). */
export function tarArchive(entries: ArchiveEntry[], mtime: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry, mtime), entry.bytes);
    const pad = (BLOCK - entry.bytes.length % BLOCK) % BLOCK;
    if (pad > 0) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** gzip of `bytes`. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Lower-case hex SHA-256. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Writes `out/planck-<version>-<target>.tar.gz` from `binary` and `docs`; returns its path. */
export async function archiveBinary(options: {
  binary: string;
  target: string;
  version: string;
  out: string;
  docs: { name: string; file: string }[];
  mtime: number;
}): Promise<string> {
  const base = `planck-${options.version}-${options.target}`;
  const exe = options.target.includes("windows") ? "planck.exe" : "planck";
  const entries: ArchiveEntry[] = [
    { name: `${base}/${exe}`, bytes: await Deno.readFile(options.binary), mode: 0o755 },
  ];
  for (const doc of options.docs) {
    entries.push({ name: `${base}/${doc.name}`, bytes: await Deno.readFile(doc.file), mode: 0o644 });
  }
  await Deno.mkdir(options.out, { recursive: true });
  const file = path.join(options.out, `${base}.tar.gz`);
  await Deno.writeFile(file, await gzip(tarArchive(entries, options.mtime)));
  return file;
}

/** Writes `SHA256SUMS` beside `archives` (all in one directory); returns its path. */
export async function writeChecksums(archives: string[]): Promise<string> {
  const dir = path.dirname(archives[0]);
  const lines: string[] = [];
  for (const archive of [...archives].sort()) {
    if (path.dirname(archive) !== dir) throw new Error(`${archive} is not in ${dir}`);
    lines.push(`${await sha256Hex(await Deno.readFile(archive))}  ${path.basename(archive)}`);
  }
  const file = path.join(dir, "SHA256SUMS");
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  return file;
}

async function main(): Promise<number> {
  const args = [...Deno.args];
  const take = (flag: string) => {
    const at = args.indexOf(flag);
    return at < 0 ? undefined : args.splice(at, 2)[1];
  };
  const repo = path.resolve(import.meta.dirname!, "..");
  const version = take("--version") ?? PLANCK_VERSION;
  const targets = take("--targets")?.split(",") ?? [...TARGETS];
  const given = take("--binaries");
  const out = path.resolve(take("--out") ?? path.join(repo, "dist", "release"));
  if (args.length > 0) {
    console.error(`release: unexpected ${args.join(" ")}`);
    return 2;
  }
  const binaries = path.resolve(given ?? path.join(repo, "dist", "bin"));
  const epoch = Number(Deno.env.get("SOURCE_DATE_EPOCH") ?? Math.floor(Date.now() / 1000));
  const archives: string[] = [];
  for (const target of targets) {
    const binary = path.join(binaries, target, target.includes("windows") ? "planck.exe" : "planck");
    if (given === undefined) {
      const result = await compile(repo, target, binary);
      if (!result.ok) {
        console.error(`release: ${target}: ${result.reason}`);
        return 1;
      }
    }
    try {
      await Deno.stat(binary);
    } catch {
      console.error(`release: ${target}: no compiled binary at ${binary}`);
      return 1;
    }
    const docs = [
      { name: "README.md", file: path.join(repo, "README.md") },
      { name: "cli.md", file: path.join(repo, "docs", "cli.md") },
    ];
    archives.push(await archiveBinary({ binary, target, version, out, docs, mtime: epoch }));
    console.log(`release: ${archives.at(-1)}`);
  }
  console.log(`release: ${await writeChecksums(archives)}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
