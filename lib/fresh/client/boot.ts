/**
 * The browser entry: revives the islands the server marked. The page loads this file with
 * `<script type="module" src>` and no inline code (so `script-src 'self'` is enough); on load it
 * reads the boot plan from `<script id="__FRSH_BOOT">`, imports the chunks it names and calls
 * {@linkcode boot}.
 *
 * @module
 */

import { type ComponentType, h, hydrate } from "preact";
import { setBuildId } from "../build_id.ts";
import type { BootPlan } from "../islands.ts";
import { parse } from "../serialize.ts";
import { findIslands, islandParent } from "./markers.ts";

/**
 * Hydrates every marked island in place with its component from `components` (by island name)
 * and its props from `<script id="__FRSH_STATE">`. One failing island is logged and does not
 * stop the others.
 */
export function boot(
  // deno-lint-ignore no-explicit-any
  components: Record<string, ComponentType<any>>,
  buildId: string | null,
): void {
  setBuildId(buildId);
  const state = document.getElementById("__FRSH_STATE");
  const props = (state === null ? [] : parse(state.textContent ?? "[]")) as Record<
    string,
    unknown
  >[];
  for (const island of findIslands<Node>(document.body)) {
    const component = Object.hasOwn(components, island.name) ? components[island.name] : undefined;
    if (component === undefined) {
      console.error(`Island "${island.name}" has no component in this page's script`);
      continue;
    }
    try {
      hydrate(
        h(component, props[island.index] ?? {}),
        islandParent(island.start, island.end) as unknown as Element,
      );
    } catch (err) {
      console.error(`Reviving island "${island.name}" failed:`, err);
    }
  }
}

/**
 * Imports the chunks a boot plan names (each once) and boots with what they export. A chunk
 * that fails to load is logged; its islands stay as the server rendered them.
 */
export async function bootFromPlan(plan: BootPlan): Promise<void> {
  const chunks = new Map<string, Promise<Record<string, unknown>>>();
  for (const [, url] of plan.islands) {
    // Only paths on this origin: the plan is page data, and must not name a script elsewhere.
    if (!chunks.has(url) && url.startsWith("/") && !url.startsWith("//")) {
      chunks.set(url, import(url));
    }
  }
  const loaded = new Map<string, Record<string, unknown>>();
  await Promise.all(
    [...chunks].map(async ([url, mod]) => {
      try {
        loaded.set(url, await mod);
      } catch (err) {
        console.error(`Loading island chunk ${url} failed:`, err);
      }
    }),
  );
  // deno-lint-ignore no-explicit-any
  const components: Record<string, ComponentType<any>> = {};
  for (const [name, url, exportName] of plan.islands) {
    const value = loaded.get(url)?.[exportName];
    // defineProperty, so that an island named `__proto__` is a name like any other.
    if (typeof value === "function") {
      Object.defineProperty(components, name, { value, enumerable: true });
    }
  }
  boot(components, plan.buildId);
}

const planScript = typeof document === "undefined" ? null : document.getElementById("__FRSH_BOOT");
if (planScript !== null) {
  bootFromPlan(JSON.parse(planScript.textContent ?? "") as BootPlan).catch((err) =>
    console.error("Booting the islands failed:", err)
  );
}
