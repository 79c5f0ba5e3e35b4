/**
 * The messages on the control channel (`hub:ctl`), which every node hears: a session renamed, a
 * node's sessions gone or moved, a node leaving. They arrive from other processes, possibly of
 * another version, or from anyone who can publish to Redis, so each is checked field by field
 * (`validate.ts`) before use: their names and rooms reach clients.
 *
 * @module
 */

import type { GoneSession } from "../seam.ts";
import {
  fields,
  goneSession,
  list,
  name,
  nodeId,
  object,
  rooms,
  sessionId,
  shape,
} from "./validate.ts";

export type Control =
  | { kind: "renamed"; node: string; sessionId: string; name: string; rooms: string[] }
  | { kind: "gone"; node: string; sessions: GoneSession[] }
  /** Sessions now live on `node` (resumed or adopted there): where their signals go. */
  | { kind: "moved"; node: string; sessions: string[] }
  /** `node` stopped and saved its sessions' states: reap it now, so they are adopted at once. */
  | { kind: "leaving"; node: string };

const SHAPES = {
  renamed: shape(["kind", "node", "sessionId", "name", "rooms"]),
  gone: shape(["kind", "node", "sessions"]),
  moved: shape(["kind", "node", "sessions"]),
  leaving: shape(["kind", "node"]),
};

/** Parses a control message; throws, naming what is wrong, on one this node cannot use. */
export function parseControl(message: string): Control {
  const control = object(JSON.parse(message), "Control");
  const kind = control.kind as Control["kind"];
  if (typeof kind !== "string" || !Object.hasOwn(SHAPES, kind)) {
    throw new Error(`Control has an unknown kind ${JSON.stringify(String(kind).slice(0, 40))}`);
  }
  const what = `Control ${kind}`;
  fields(control, SHAPES[kind], what);
  nodeId(control.node, `${what}.node`);
  if (kind === "renamed") {
    name(control.name, sessionId(control.sessionId, `${what}.sessionId`), `${what}.name`);
    rooms(control.rooms, `${what}.rooms`);
  } else if (kind === "gone") {
    // As many as the node had: a list bounded by the node, not by the protocol.
    list(control.sessions, Infinity, `${what}.sessions`, goneSession);
  } else if (kind === "moved") {
    list(control.sessions, Infinity, `${what}.sessions`, sessionId);
  }
  return control as unknown as Control;
}
