/**
 * The browser entry: revives the islands the server marked. The page's module script imports
 * this and the chunks of its islands, then calls {@linkcode boot}.
 *
 * @module
 */

import { type ComponentType, h, hydrate } from "preact";
import { setBuildId } from "../build_id.ts";
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
    const component = components[island.name];
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
