/**
 * What an app needs from the build, per project root: its islands, where the browser finds their
 * chunks, and (in production) its route modules.
 *
 * - **Production**: `_fresh/server.js`, written by the build, imports every route and island
 *   module and calls {@linkcode installBuild} with its own folder. Routes are not scanned, the
 *   bundles are served from `_fresh/static`, and every path comes from `import.meta.dirname`,
 *   so the working directory does not matter and `deno compile` works.
 * - **Development** (no build installed for the root: tests, `deno run main.ts`): islands are
 *   found by scanning `<root>/islands`, and the bundle is built in memory the first time a
 *   browser asks for it, at stable unhashed URLs.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { setBuildId } from "./build_id.ts";
import { bundleClient, type ClientBundle, JS_PREFIX, plainEntryUrls } from "./bundle.ts";
import type { ModuleLoader } from "./fs_routes.ts";
import {
  type ClientAssets,
  type IslandDef,
  islandsOf,
  registerIslands,
  scanIslandsDir,
} from "./islands.ts";

/** `_fresh/manifest.json`: what the build produced. */
export interface BuildManifest {
  version: 1;
  /** Changes whenever a bundle or a file in `static/` does; `asset()` appends it. */
  buildId: string;
  /** URL of the boot script. */
  boot: string;
  /** Route files below `routes/`, `/`-separated. */
  routes: string[];
  /** Island files below `islands/` and the URL of each one's chunk. */
  islands: { file: string; chunk: string }[];
}

type Module = Record<string, unknown>;

/** The modules `_fresh/server.js` imported, by path below `routes/` and `islands/`. */
export interface BuildModules {
  routes: Record<string, Module>;
  islands: Record<string, Module>;
}

interface InstalledBuild {
  root: string;
  outDir: string;
  manifest: BuildManifest;
  modules: BuildModules;
}

let installed: InstalledBuild | null = null;

/**
 * Makes the production build in `outDir` (the `_fresh` folder; its parent is the project root)
 * the one apps on that root use. Called by `_fresh/server.js` before the app is created.
 */
export function installBuild(outDir: string, manifest: BuildManifest, modules: BuildModules): void {
  if (manifest.version !== 1) throw new Error(`Unsupported build manifest version in ${outDir}`);
  installed = { root: dirname(outDir), outDir, manifest, modules };
  setBuildId(manifest.buildId);
}

/** The project root of the installed production build, if any: `new App()`'s default root. */
export function installedRoot(): string | null {
  return installed?.root ?? null;
}

/** A JS file served from memory in development. */
export interface DevFile {
  contents: Uint8Array;
  /** Entries keep plain names across rebuilds and must be revalidated; chunks are hashed. */
  immutable: boolean;
}

/** Everything an app takes from the build for its root. */
export interface AppBuild {
  islands: IslandDef[];
  /** For the boot script on pages; `null` when there are no islands. */
  assets: ClientAssets | null;
  /** Production: the route files and their modules. `null`: scan `routes/`. */
  routes: { files: string[]; load: ModuleLoader } | null;
  /** Production: the folder of built static files, all content-addressed. */
  staticDir: string | null;
  /** Development: a bundled file by URL path, built on first use; `null` if unknown. */
  devFile(path: string): Promise<DevFile | null>;
}

const builds = new Map<string, Promise<AppBuild>>();
const ready = new Map<string, AppBuild>();

/** Loads (once per root) what the app on `root` takes from the build. */
export function loadAppBuild(root: string): Promise<AppBuild> {
  let build = builds.get(root);
  if (build === undefined) {
    build = installed?.root === root ? productionBuild(installed) : developmentBuild(root);
    builds.set(root, build);
    build.then((b) => ready.set(root, b), () => builds.delete(root));
  }
  return build;
}

/** The build loaded for `root`, or `undefined` before {@linkcode loadAppBuild} resolved. */
export function appBuildFor(root: string): AppBuild | undefined {
  return ready.get(root);
}

const noDevFile = () => Promise.resolve(null);

function productionBuild(build: InstalledBuild): Promise<AppBuild> {
  const { root, outDir, manifest, modules } = build;
  const islandsDir = join(root, "islands");
  const chunks = new Map<string, string>();
  const islandModules = manifest.islands.map(({ file, chunk }) => {
    const mod = modules.islands[file];
    if (mod === undefined) throw new Error(`The build has no module for islands/${file}`);
    chunks.set(join(islandsDir, file), chunk);
    return { file: join(islandsDir, file), rel: file, mod };
  });
  const islands = islandsOf(islandModules);
  registerIslands(islands);

  const routesDir = join(root, "routes");
  const routeModules = new Map(
    manifest.routes.map((
      file,
    ) => [pathToFileURL(join(routesDir, file)).href, modules.routes[file]]),
  );
  const load: ModuleLoader = (url) => {
    const mod = routeModules.get(url);
    return mod === undefined
      ? Promise.reject(new Error(`The build has no module for ${url}`))
      : Promise.resolve(mod);
  };

  return Promise.resolve({
    islands,
    assets: islands.length === 0 ? null : {
      boot: manifest.boot,
      buildId: manifest.buildId,
      chunk: (file) => {
        const url = chunks.get(file);
        if (url === undefined) throw new Error(`The build has no chunk for ${file}`);
        return url;
      },
    },
    routes: { files: manifest.routes, load },
    staticDir: join(outDir, "static"),
    devFile: noDevFile,
  });
}

async function developmentBuild(root: string): Promise<AppBuild> {
  const found = await scanIslandsDir(join(root, "islands"));
  const modules = await Promise.all(
    found.map(async ({ file, rel }) => ({
      file,
      rel,
      mod: await import(pathToFileURL(file).href) as Module,
    })),
  );
  const islands = islandsOf(modules);
  registerIslands(islands);
  if (islands.length === 0) {
    return { islands, assets: null, routes: null, staticDir: null, devFile: noDevFile };
  }

  const islandFiles = found.map((f) => f.file);
  const urls = plainEntryUrls(islandFiles);
  const entryUrls = new Set([urls.boot, ...urls.islands.values()]);
  let bundle: Promise<ClientBundle> | null = null;
  return {
    islands,
    assets: { boot: urls.boot, buildId: null, chunk: (file) => urls.islands.get(file)! },
    routes: null,
    staticDir: null,
    async devFile(path) {
      if (!path.startsWith(JS_PREFIX)) return null;
      bundle ??= bundleClient({ islandFiles, production: false }).catch((err) => {
        console.error(err);
        throw err;
      });
      const contents = (await bundle).files.get(path);
      return contents === undefined ? null : { contents, immutable: !entryUrls.has(path) };
    },
  };
}
