/**
 * Reads the server's frames: one raw WebSocket message in, one checked {@linkcode Incoming} out.
 * Only the envelope is checked (and a welcome's fields, which the client relies on); event and
 * reply `data` is trusted to match `lib/protocol/mod.ts`.
 *
 * @module
 */

import type { ErrorBody, Events } from "../protocol/mod.ts";
import type { Outcome } from "./pending.ts";

/** A frame from the server, sorted by what the client does with it. */
export type Incoming =
  /** The session's welcome, with `sessionId` and `heartbeatMs` checked. */
  | { kind: "welcome"; data: Events["welcome"] }
  /** Any other event, for its listeners. */
  | { kind: "event"; type: string; data: object }
  /** The reply to request `id`; `outcome` is `undefined` when it has neither data nor error. */
  | { kind: "reply"; id: unknown; outcome: Outcome | undefined }
  /** An error with `id: null`, about a frame without id or one the server could not read. */
  | { kind: "error"; error: ErrorBody }
  /** Nothing the client can use; `what` completes "ignoring …". */
  | { kind: "malformed"; what: string };

interface Envelope {
  type?: unknown;
  id?: unknown;
  ok?: unknown;
  data?: unknown;
  error?: unknown;
}

/** Sorts one raw message (`MessageEvent.data`) from the server. */
export function decodeFrame(raw: unknown): Incoming {
  if (typeof raw !== "string") return malformed("a binary frame");
  let frame: Envelope;
  try {
    frame = JSON.parse(raw);
  } catch {
    return malformed("a frame that is not JSON");
  }
  if (typeof frame !== "object" || frame === null) return malformed("a non-object frame");
  const type = frame.type;
  if (type === "reply") return decodeReply(frame);
  const data = frame.data;
  if (typeof type !== "string" || typeof data !== "object" || data === null) {
    return malformed("an event without a type or data");
  }
  if (type !== "welcome") return { kind: "event", type, data };
  if (!isWelcome(data)) return malformed("a welcome without sessionId or heartbeatMs");
  return { kind: "welcome", data };
}

function decodeReply(frame: Envelope): Incoming {
  const { id, ok, error } = frame;
  if (id === null) {
    if (ok !== false || !isErrorBody(error)) return malformed("an id:null reply without an error");
    return { kind: "error", error };
  }
  let outcome: Outcome | undefined;
  if (ok === true) outcome = { ok: true, data: frame.data };
  else if (ok === false && isErrorBody(error)) outcome = { ok: false, error };
  return { kind: "reply", id, outcome };
}

function malformed(what: string): Incoming {
  return { kind: "malformed", what };
}

function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === "object" && value !== null &&
    typeof (value as ErrorBody).code === "string" &&
    typeof (value as ErrorBody).message === "string";
}

function isWelcome(value: object): value is Events["welcome"] {
  const w = value as Events["welcome"];
  return typeof w.sessionId === "string" && typeof w.heartbeatMs === "number";
}
