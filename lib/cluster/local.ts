/**
 * The embedded default cluster: a deployment of one node, so there is nothing to carry to other
 * nodes and nothing to add to this node's counts.
 *
 * @module
 */

import type { Member } from "../protocol/mod.ts";
import type { Cluster } from "./seam.ts";

/** A deployment of one node: nothing to carry, nothing to add. */
export class LocalCluster implements Cluster {
  readonly nodeId = "local";
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  sessionOpened(): void {}
  sessionRenamed(): void {}
  sessionClosed(): void {}
  joined(): Promise<void> {
    return Promise.resolve();
  }
  left(): Promise<void> {
    return Promise.resolve();
  }
  publish(): void {}
  signal(): void {}
  remoteCount(): Promise<number> {
    return Promise.resolve(0);
  }
  remoteMembers(): Promise<Member[]> {
    return Promise.resolve([]);
  }
  remoteRooms(): Promise<Map<string, number>> {
    return Promise.resolve(new Map());
  }
  locate(): Promise<boolean> {
    return Promise.resolve(false);
  }
}
