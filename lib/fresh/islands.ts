/**
 * Islands on the server: which components are islands, marking them while rendering, and the
 * scripts that revive them in the browser.
 *
 * Every function exported by a file below `<root>/islands` is an island. While a page renders,
 * each outermost island is wrapped in comments and its props are kept:
 *
 * ```html
 * <!--frsh:island:Counter:0--><button>3</button><!--/frsh:island-->
 * ```
 *
 * `Counter` is the island's name and `0` indexes the props in the page's
 * `<script id="__FRSH_STATE" type="application/json">` (see `serialize.ts`). Islands rendered
 * inside an island are part of it and are not marked. A second data block,
 * `<script id="__FRSH_BOOT" type="application/json">`, names each island's chunk and export, and
 * `<script type="module" src>` loads the boot script (`client/boot.ts`), which reads both.
 * Nothing on the page is inline code, so a Content-Security-Policy of `script-src 'self'`
 * needs no nonce (data blocks are not scripts to CSP).
 *
 * @module
 */

import { type ComponentType, createContext, Fragment, h, options, type VNode } from "preact";
import { useContext } from "preact/hooks";
import { escapeForScript, formatPath, SerializeError, stringify } from "./serialize.ts";

/** One island: an exported component of a file in `islands/`. */
export interface IslandDef {
  /** Unique in the app; used in the markers and by the boot script. */
  name: string;
  /** `"default"` or the export's name. */
  exportName: string;
  /** Absolute path of the island's file. */
  file: string;
  /** The file as shown in messages, e.g. `islands/Counter.tsx`. */
  source: string;
  // deno-lint-ignore no-explicit-any
  component: ComponentType<any>;
}

/** Where the browser finds the boot script and each island file's chunk. */
export interface ClientAssets {
  /** URL of the boot script. */
  boot: string;
  /** URL of the chunk built from an island file (absolute path). */
  chunk(file: string): string;
  /** Passed to `boot()` for `asset()`; `null` without a production build. */
  buildId: string | null;
}

/** An island rendered on a page, in order of appearance. */
export interface RenderedIsland {
  def: IslandDef;
  props: Record<string, unknown>;
}

const EXTENSIONS = /\.(tsx|ts|jsx|js|mts|mjs)$/;

/**
 * The islands of the modules of an `islands/` folder: every exported function. Names are the
 * file's path below `islands/` without extension (`chat/Room.tsx` → `chat_Room`) for a default
 * export, plus `_<export>` for named ones, made unique with a numeric suffix if needed.
 */
export function islandsOf(
  modules: readonly { file: string; rel: string; mod: Record<string, unknown> }[],
): IslandDef[] {
  const defs: IslandDef[] = [];
  const taken = new Set<string>();
  for (const { file, rel, mod } of modules) {
    const stem = rel.replace(EXTENSIONS, "").replace(/[^A-Za-z0-9_$]/g, "_");
    for (const [exportName, value] of Object.entries(mod)) {
      if (typeof value !== "function") continue;
      let name = exportName === "default" ? stem : `${stem}_${exportName}`;
      for (let i = 2; taken.has(name); i++) name = `${stem}_${exportName}_${i}`;
      taken.add(name);
      const source = `islands/${rel}`;
      defs.push({ name, exportName, file, source, component: value as ComponentType<unknown> });
    }
  }
  return defs;
}

/** The island files below `dir` (absolute paths, sorted); none when the folder is missing. */
export async function scanIslandsDir(dir: string): Promise<{ file: string; rel: string }[]> {
  const found: { file: string; rel: string }[] = [];
  const walk = async (abs: string, rel: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(abs)) entries.push(entry);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childAbs = `${abs}/${entry.name}`;
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.name.startsWith(".")) continue;
      const info = entry.isSymlink ? await Deno.stat(childAbs) : entry;
      if (info.isDirectory) {
        await walk(childAbs, childRel);
      } else if (
        info.isFile && EXTENSIONS.test(entry.name) && !entry.name.endsWith(".d.ts") &&
        !/[._]test\.[^.]+$/.test(entry.name)
      ) {
        found.push({ file: childAbs, rel: childRel });
      }
    }
  };
  try {
    await walk(dir, "");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return found;
}

/** Every registered island component, process-wide; the vnode hook looks them up here. */
const registry = new Map<unknown, IslandDef>();

/** Makes `defs` islands wherever they are rendered from now on. */
export function registerIslands(defs: readonly IslandDef[]): void {
  for (const def of defs) registry.set(def.component, def);
}

interface RenderScope {
  islands: RenderedIsland[];
}

let scope: RenderScope | null = null;

/**
 * Runs `render` (a synchronous render to string) and returns its result with the islands it
 * rendered. Outside such a call, islands render as plain components.
 */
export function collectIslands<T>(render: () => T): { result: T; islands: RenderedIsland[] } {
  const outer = scope;
  const current: RenderScope = { islands: [] };
  scope = current;
  try {
    return { result: render(), islands: current.islands };
  } finally {
    scope = outer;
  }
}

const InIsland = createContext(false);

interface HostProps {
  def: IslandDef;
  props: Record<string, unknown>;
}

function comment(text: string): VNode {
  // preact-render-to-string writes a Fragment with UNSTABLE_comment as <!--text-->.
  return h(Fragment, { UNSTABLE_comment: text } as Record<string, unknown>);
}

/** Set while IslandHost creates the real island vnode, which must not be swapped again. */
let bypass = false;

function islandVNode({ def, props }: HostProps): VNode {
  bypass = true;
  try {
    return h(def.component, props);
  } finally {
    bypass = false;
  }
}

/** Stands in for an island component: markers around it when it is an outermost island. */
function IslandHost(host: HostProps) {
  const inside = useContext(InIsland);
  if (inside || scope === null) return islandVNode(host);
  const index = scope.islands.push(host) - 1;
  return h(
    Fragment,
    null,
    comment(`frsh:island:${host.def.name}:${index}`),
    h(InIsland.Provider, { value: true }, islandVNode(host)),
    comment("/frsh:island"),
  );
}

// Swap island components for IslandHost as their vnodes are created. Chained with any earlier
// hook (e.g. @preact/signals').
const previousVNodeHook = options.vnode;
options.vnode = (vnode: VNode) => {
  const def = !bypass && typeof vnode.type === "function" ? registry.get(vnode.type) : undefined;
  if (def !== undefined) {
    const host: HostProps = { def, props: vnode.props as Record<string, unknown> };
    (vnode as { type: unknown }).type = IslandHost;
    (vnode as { props: unknown }).props = host;
  }
  previousVNodeHook?.(vnode);
};

/**
 * Serializes the props of the rendered islands (one array, so a value passed to two islands
 * stays one value), naming the island and prop when something cannot be sent.
 */
export function serializeIslandProps(islands: readonly RenderedIsland[]): string {
  try {
    return stringify(islands.map((island) => island.props));
  } catch (err) {
    if (!(err instanceof SerializeError) || typeof err.path[0] !== "number") throw err;
    const { def } = islands[err.path[0]];
    const prop = err.path.length > 1 ? formatPath(err.path.slice(1)) : "its props";
    throw new TypeError(
      `Island "${def.name}" (${def.source}): prop ${prop} ${err.reason}. ` +
        "Island props are sent to the browser and must be serializable data; " +
        "define functions inside the island instead",
      { cause: err },
    );
  }
}

/** What `client/boot.ts` reads from `<script id="__FRSH_BOOT">`. */
export interface BootPlan {
  /** Each island on the page once: its name, the URL of its chunk, its export's name there. */
  islands: [name: string, chunk: string, exportName: string][];
  /** Passed to `boot()` for `asset()`; `null` without a production build. */
  buildId: string | null;
}

/** Escapes text for a double-quoted HTML attribute. */
function attr(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The HTML that revives the rendered islands: the serialized props, the boot plan (each
 * island's chunk and export), a preload for each chunk in use so they load beside the boot
 * script, and the boot script itself. Empty when no island was rendered; only the props (still
 * checked) when `client` is `null`.
 */
export function islandScripts(
  islands: readonly RenderedIsland[],
  client: ClientAssets | null,
): string {
  if (islands.length === 0) return "";
  const state = `<script id="__FRSH_STATE" type="application/json">${
    serializeIslandProps(islands)
  }</script>`;
  if (client === null) return state;

  const plan: BootPlan = { islands: [], buildId: client.buildId };
  const names = new Set<string>();
  const chunks = new Set<string>();
  for (const { def } of islands) {
    if (names.has(def.name)) continue;
    names.add(def.name);
    const url = client.chunk(def.file);
    chunks.add(url);
    plan.islands.push([def.name, url, def.exportName]);
  }
  const preloads = [...chunks].map((url) => `<link rel="modulepreload" href="${attr(url)}">`);
  return state +
    `<script id="__FRSH_BOOT" type="application/json">${
      escapeForScript(JSON.stringify(plan))
    }</script>` +
    preloads.join("") +
    `<script type="module" src="${attr(client.boot)}"></script>`;
}

/** Puts `html` before the last `</body>`, or at the end if there is none. */
export function injectBeforeBodyEnd(document: string, html: string): string {
  if (html === "") return document;
  const at = document.toLowerCase().lastIndexOf("</body>");
  return at === -1 ? document + html : document.slice(0, at) + html + document.slice(at);
}
