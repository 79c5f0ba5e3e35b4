/**
 * The browser bundle: the boot script and one entry per island file, built by Deno's own bundler
 * (`Deno.bundle`, enabled by `"unstable": ["bundle"]` in deno.json) with code splitting. All
 * entries are bundled together, so a module imported by several islands (preact, signals, a
 * shared WebSocket client) lands in one shared chunk and is instantiated once in the browser.
 *
 * @module
 */

import { dirname, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** URL prefix of every bundled file. */
export const JS_PREFIX = "/_fresh/js/";

/** The boot script's source file. */
export const BOOT_ENTRY: string = fileURLToPath(new URL("./client/boot.ts", import.meta.url));

/** A bundle held in memory. */
export interface ClientBundle {
  /** URL path (`/_fresh/js/…`) → contents. */
  files: Map<string, Uint8Array>;
  /** URL of the boot script. */
  boot: string;
  /** Island file (absolute path) → URL of its chunk. */
  islands: Map<string, string>;
}

export interface BundleOptions {
  /** Absolute paths of the island files. */
  islandFiles: readonly string[];
  /** Minify, and give the entries content-hashed names (`Counter-3f2a9c1b4d5e.js`). */
  production: boolean;
}

/** The folder esbuild lays entries out from: the deepest one holding every entry. */
function commonDir(files: readonly string[]): string {
  let common = dirname(files[0]);
  for (const file of files.slice(1)) {
    while (!(dirname(file) + sep).startsWith(common + sep) && common !== dirname(common)) {
      common = dirname(common);
    }
  }
  return common;
}

/** The `/`-separated output path of an entry, as esbuild names it. */
function entryOutput(base: string, file: string): string {
  return relative(base, file).split(sep).join("/").replace(/\.(tsx|ts|jsx|mts|mjs|js)$/, ".js");
}

/**
 * Where each entry's chunk is served when entries keep their plain names (development): known
 * before bundling, so pages can be rendered while the bundle is still being built.
 */
export function plainEntryUrls(islandFiles: readonly string[]): {
  boot: string;
  islands: Map<string, string>;
} {
  const base = commonDir([BOOT_ENTRY, ...islandFiles]);
  return {
    boot: JS_PREFIX + entryOutput(base, BOOT_ENTRY),
    islands: new Map(islandFiles.map((file) => [file, JS_PREFIX + entryOutput(base, file)])),
  };
}

/** Hex SHA-256 of `data`. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bundles the boot script and the islands for the browser. */
export async function bundleClient(options: BundleOptions): Promise<ClientBundle> {
  if (typeof Deno.bundle !== "function") {
    throw new Error(
      'Deno.bundle is not available: add "bundle" to "unstable" in deno.json ' +
        "or run with --unstable-bundle",
    );
  }
  const entries = [BOOT_ENTRY, ...options.islandFiles];
  const base = commonDir(entries);
  // Nothing is written; outputDir only anchors the output paths.
  const outDir = `${base}${sep}__fresh_bundle__`;
  const result = await Deno.bundle({
    entrypoints: entries,
    outputDir: outDir,
    write: false,
    codeSplitting: true,
    platform: "browser",
    format: "esm",
    minify: options.production,
  });
  if (!result.success) {
    const messages = result.errors.map((e) =>
      e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text
    );
    throw new Error(`Bundling the islands failed:\n${messages.join("\n")}`);
  }

  const outputs = new Map<string, Uint8Array>();
  for (const file of result.outputFiles ?? []) {
    const rel = relative(outDir, file.path).split(sep).join("/");
    if (file.contents === undefined) throw new Error(`The bundler gave no contents for ${rel}`);
    outputs.set(rel, file.contents);
  }

  // Entries are never imported by other files (shared code goes to chunks), so renaming them
  // breaks no import. Chunks already carry esbuild's content hash.
  const files = new Map<string, Uint8Array>();
  const renamed = new Map<string, string>();
  const entryPaths = new Set(entries.map((file) => entryOutput(base, file)));
  for (const [rel, contents] of outputs) {
    let name = rel;
    if (entryPaths.has(rel) && options.production) {
      name = rel.replace(/\.js$/, `-${(await sha256Hex(contents)).slice(0, 12)}.js`);
    }
    renamed.set(rel, JS_PREFIX + name);
    files.set(JS_PREFIX + name, contents);
  }
  const urlOf = (file: string) => {
    const url = renamed.get(entryOutput(base, file));
    if (url === undefined) throw new Error(`The bundle has no output for ${file}`);
    return url;
  };
  return {
    files,
    boot: urlOf(BOOT_ENTRY),
    islands: new Map(options.islandFiles.map((file) => [file, urlOf(file)])),
  };
}
