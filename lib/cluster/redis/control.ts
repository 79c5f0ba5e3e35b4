/**
 * The messages on the control channel (`hub:ctl`), which every node hears: a session renamed, a
 * node's sessions gone or moved, a node leaving. They arrive from other processes, possibly of another version, so they
 * are checked before use.
 *
 * @module
 */

import type { GoneSession } from "../seam.ts";

export type Control =
  | { kind: "renamed"; node: string; sessionId: string; name: string; rooms: string[] }
  | { kind: "gone"; node: string; sessions: GoneSession[] }
  /** Sessions now live on `node` (resumed or adopted there): where their signals go. */
  | { kind: "moved"; node: string; sessions: string[] }
  /** `node` stopped and saved its sessions' states: reap it now, so they are adopted at once. */
  | { kind: "leaving"; node: string };

/** Parses a control message; throws, naming what is wrong, on one this node cannot use. */
export function parseControl(message: string): Control {
  const control = JSON.parse(message) as Control | null;
  if (control === null || typeof control !== "object") throw new Error("Control must be an object");
  if (typeof control.node !== "string") throw new Error("Control needs a node");
  if (control.kind === "gone" || control.kind === "moved") {
    if (!Array.isArray(control.sessions)) {
      throw new Error(`Control ${control.kind} needs a sessions list`);
    }
  } else if (control.kind === "leaving") {
    // The node is all it says.
  } else if (control.kind === "renamed") {
    if (!Array.isArray(control.rooms) || typeof control.name !== "string") {
      throw new Error("Control renamed needs a name and a rooms list");
    }
  } else {
    throw new Error(`Unknown control kind ${JSON.stringify((control as { kind?: unknown }).kind)}`);
  }
  return control;
}
