/**
 * The embedded default cluster: a deployment of one node, so there is nothing to carry to other
 * nodes and nothing to add to this node's counts.
 *
 * @module
 */

import type { Member } from "../protocol/mod.ts";
import type { Broker, Cluster, Registry } from "./seam.ts";

/** A deployment of one node: nothing to carry, nothing to add. */
export class LocalCluster implements Cluster {
  readonly nodeId = "local";
  readonly broker: Broker = { publish() {}, signal() {} };
  readonly registry: Registry = {
    sessionOpened() {},
    sessionRenamed() {},
    sessionClosed() {},
    joined: () => Promise.resolve(),
    left: () => Promise.resolve(),
    remoteCount: () => Promise.resolve(0),
    remoteMembers: (): Promise<Member[]> => Promise.resolve([]),
    remoteRooms: () => Promise.resolve(new Map()),
    locate: () => Promise.resolve(false),
  };
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
