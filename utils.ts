/**
 * Shared route typing, as in every Fresh 2 app: the request state and the `define` helpers.
 *
 * @module
 */

import { createDefine } from "fresh";
import type { Services } from "./lib/server/services.ts";

/** Per-request state: the server's services, put there by a middleware in `main.ts`. */
export interface State {
  services: Services;
}

export const define = createDefine<State>();
