/**
 * The messages on a node's own channel (`hub:node:<node>`): signals for its sessions, and what
 * nodes ask each other when a session moves, a claim and its answer. Like every cross-node
 * message they are checked before use (`validate.ts`), cheap structure first: a message over the
 * longest signal is refused unparsed, unless it is a claim's answer, whose size follows the
 * session's replay buffer and whose state the broker checks field by field.
 *
 * @module
 */

import { LIMITS } from "../../protocol/mod.ts";
import type { SessionState, Signal } from "../seam.ts";
import { fields, MAX_FRAME_LENGTH, nodeId, object, sessionId, shape, signal } from "./validate.ts";

/** A request from one node to another over their node channels, and its answer, as sent. */
export type NodeMessage =
  | { op: "claim"; req: number; from: string; sessionId: string; secret: string }
  | { op: "claimed"; req: number; state: SessionState | null; retry?: boolean };

/** A claim's answer as heard: its state is not checked yet. */
export interface HeardClaimed {
  op: "claimed";
  req: number;
  state: unknown;
  retry: boolean;
}

/** What a node channel carries, as heard. */
export type Heard = Signal | Extract<NodeMessage, { op: "claim" }> | HeardClaimed;

/** How a claim's answer starts, as `JSON.stringify` writes {@link NodeMessage}. */
const CLAIMED_PREFIX = '{"op":"claimed"';

const CLAIM = shape(["op", "req", "from", "sessionId", "secret"]);
const CLAIMED = shape(["op", "req", "state"], ["retry"]);

/** Parses and checks a message heard on a node channel; throws, naming what is wrong. */
export function parseNodeMessage(message: string): Heard {
  if (message.length > MAX_FRAME_LENGTH && !message.startsWith(CLAIMED_PREFIX)) {
    throw new Error(`Node message is ${message.length} characters, over ${MAX_FRAME_LENGTH}`);
  }
  const parsed = object(JSON.parse(message), "Node message");
  if (!Object.hasOwn(parsed, "op")) return signal(parsed);
  if (parsed.op === "claim") {
    fields(parsed, CLAIM, "Claim");
    request(parsed.req, "Claim.req");
    nodeId(parsed.from, "Claim.from");
    sessionId(parsed.sessionId, "Claim.sessionId");
    if (typeof parsed.secret !== "string" || !LIMITS.resumeTokenPattern.test(parsed.secret)) {
      throw new Error("Claim.secret must be a token's secret");
    }
    return parsed as unknown as Heard;
  }
  if (parsed.op === "claimed") {
    fields(parsed, CLAIMED, "Claim answer");
    const req = request(parsed.req, "Claim answer.req");
    if (parsed.retry !== undefined && typeof parsed.retry !== "boolean") {
      throw new Error("Claim answer.retry must be true or false");
    }
    if (parsed.state !== null) object(parsed.state, "Claim answer.state");
    return { op: "claimed", req, state: parsed.state, retry: parsed.retry === true };
  }
  throw new Error(
    `Node message has an unknown op ${JSON.stringify(String(parsed.op).slice(0, 40))}`,
  );
}

function request(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new Error(`${what} must be a request number`);
  }
  return value as number;
}
