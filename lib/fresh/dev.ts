/**
 * `fresh/dev`: the production build, as Fresh 2's `Builder`. The project's `dev.ts` uses it.
 *
 * `builder.build()` writes `<root>/_fresh/`:
 *
 * | file                                  | what                                                  |
 * | ------------------------------------- | ----------------------------------------------------- |
 * | `server.js`                           | the production entry (run it, or `deno compile` it)   |
 * | `manifest.json`                       | build id, boot script URL, route files, island chunks |
 * | `static/_fresh/js/**`                 | the boot script, island entries, shared chunks        |
 * | `stamp`                               | written by every build; its mtime is the build time   |
 *
 * @module
 */

import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildManifest } from "./build_cache.ts";
import { bundleClient, sha256Hex } from "./bundle.ts";
import { scanRoutesDir } from "./fs_routes.ts";
import { scanIslandsDir } from "./islands.ts";

export type { BuildManifest } from "./build_cache.ts";

/** Options for `new Builder()`. */
export interface BuilderOptions {
  /** The project folder (path or `file:` URL). Defaults to `Deno.cwd()`. */
  root?: string | URL;
  /**
   * The module `_fresh/server.js` starts, relative to the root; it must export `start()`, which
   * serves the app. Defaults to `"main.ts"`.
   */
  serverEntry?: string;
}

const BUILD_CACHE_MODULE = fileURLToPath(new URL("./build_cache.ts", import.meta.url));

/**
 * Builds the app for production.
 *
 * ```ts ignore
 * import { Builder } from "fresh/dev";
 *
 * const builder = new Builder();
 * if (await builder.isStale()) await builder.build();
 * ```
 */
export class Builder {
  /** Absolute project folder. */
  readonly root: string;
  /** Absolute output folder, `<root>/_fresh`. */
  readonly outDir: string;
  readonly #serverEntry: string;

  constructor(options: BuilderOptions = {}) {
    const root = options.root ?? Deno.cwd();
    this.root = resolve(
      root instanceof URL || root.startsWith("file:") ? fileURLToPath(root) : root,
    );
    this.outDir = join(this.root, "_fresh");
    this.#serverEntry = join(this.root, options.serverEntry ?? "main.ts");
  }

  /**
   * Bundles the islands, writes `_fresh/` (only files whose content changed; stale bundles are
   * removed) and returns the manifest.
   */
  async build(): Promise<BuildManifest> {
    const islands = await scanIslandsDir(join(this.root, "islands"));
    const routes = await scanRoutesDir(join(this.root, "routes"));
    const bundle = islands.length === 0
      ? null
      : await bundleClient({ islandFiles: islands.map((i) => i.file), production: true });

    const staticOut = join(this.outDir, "static");
    const outputs = new Map<string, Uint8Array>(); // path below static/ → contents
    for (const [url, contents] of bundle?.files ?? []) outputs.set(url.slice(1), contents);

    // The build id covers the bundles and static/, so asset() URLs change with either.
    const parts: string[] = [];
    for (const [path, contents] of [...outputs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      parts.push(`${path}:${await sha256Hex(contents)}`);
    }
    for (const file of await listFiles(join(this.root, "static"))) {
      parts.push(
        `static/${file}:${await sha256Hex(await Deno.readFile(join(this.root, "static", file)))}`,
      );
    }
    const buildId = (await sha256Hex(parts.join("\n"))).slice(0, 16);

    const manifest: BuildManifest = {
      version: 1,
      buildId,
      boot: bundle?.boot ?? "",
      routes,
      islands: islands.map(({ file, rel }) => ({ file: rel, chunk: bundle!.islands.get(file)! })),
    };

    await Deno.mkdir(staticOut, { recursive: true });
    for (const file of await listFiles(staticOut)) {
      if (!outputs.has(file)) await Deno.remove(join(staticOut, file));
    }
    for (const [file, contents] of outputs) await writeIfChanged(join(staticOut, file), contents);
    await writeIfChanged(
      join(this.outDir, "manifest.json"),
      JSON.stringify(manifest, null, 2) + "\n",
    );
    await writeIfChanged(join(this.outDir, "server.js"), this.#serverJs(manifest));
    await Deno.writeTextFile(join(this.outDir, "stamp"), `${buildId}\n`);
    return manifest;
  }

  /**
   * Whether `build()` is needed: there is no build, or a file of the project (outside `_fresh/`,
   * dot-folders and `node_modules/`) changed since the last one.
   */
  async isStale(): Promise<boolean> {
    let built: number;
    try {
      built = (await Deno.stat(join(this.outDir, "stamp"))).mtime?.getTime() ?? 0;
      await Deno.stat(join(this.outDir, "server.js"));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return true;
      throw err;
    }
    return await newerThan(
      this.root,
      built,
      (path) =>
        path === this.outDir || /^[.]|^node_modules$/.test(path.slice(path.lastIndexOf(sep) + 1)),
    );
  }

  #serverJs(manifest: BuildManifest): string {
    const spec = (file: string) => {
      const rel = relative(this.outDir, file).split(sep).join("/");
      return JSON.stringify(rel.startsWith(".") ? rel : `./${rel}`);
    };
    const lines = [
      "// Generated by `deno task build`; do not edit. The production entry: serves this build.",
      `import { installBuild } from ${spec(BUILD_CACHE_MODULE)};`,
      'import manifest from "./manifest.json" with { type: "json" };',
    ];
    const routes = manifest.routes.map((file, i) => {
      lines.push(`import * as route${i} from ${spec(join(this.root, "routes", file))};`);
      return `    ${JSON.stringify(file)}: route${i},`;
    });
    const islands = manifest.islands.map(({ file }, i) => {
      lines.push(`import * as island${i} from ${spec(join(this.root, "islands", file))};`);
      return `    ${JSON.stringify(file)}: island${i},`;
    });
    lines.push(
      `import * as entry from ${spec(this.#serverEntry)};`,
      "",
      "installBuild(import.meta.dirname, manifest, {",
      "  routes: {",
      ...routes,
      "  },",
      "  islands: {",
      ...islands,
      "  },",
      "});",
      "await entry.start();",
      "",
    );
    return lines.join("\n");
  }
}

/** Files below `dir`, `/`-separated and sorted; none if it is missing. */
async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (abs: string, rel: string) => {
    for await (const entry of Deno.readDir(abs)) {
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const info = entry.isSymlink ? await Deno.stat(join(abs, entry.name)) : entry;
      if (info.isDirectory) await walk(join(abs, entry.name), childRel);
      else if (info.isFile) files.push(childRel);
    }
  };
  try {
    await walk(dir, "");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return files.sort();
}

/** Whether any file below `dir` (skipping what `skip` says) was modified after `time`. */
async function newerThan(dir: string, time: number, skip: (path: string) => boolean) {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    const info = await Deno.stat(path).catch(() => null);
    if (info === null) continue;
    if (info.isDirectory) {
      if (await newerThan(path, time, skip)) return true;
    } else if ((info.mtime?.getTime() ?? Infinity) > time) {
      return true;
    }
  }
  return false;
}

/** Writes `contents` unless the file already holds exactly that (keeps mtimes and watchers calm). */
async function writeIfChanged(path: string, contents: Uint8Array | string): Promise<void> {
  const bytes = typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
  try {
    const old = await Deno.readFile(path);
    if (old.length === bytes.length && old.every((b, i) => b === bytes[i])) return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeFile(path, bytes);
}
