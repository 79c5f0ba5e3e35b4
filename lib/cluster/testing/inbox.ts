/**
 * A hub's inbox for cluster tests that run a cluster without a hub: it has no sessions of its own
 * and ignores what other nodes send, except what a test overrides to watch.
 *
 * @module
 */

import type { ClusterInbox } from "../seam.ts";

/** An inbox that does nothing but what `overrides` say. */
export function quietInbox(overrides: Partial<ClusterInbox> = {}): ClusterInbox {
  return {
    room() {},
    signal() {},
    renamed() {},
    gone() {},
    resynced() {},
    snapshot: () => [],
    release: () => Promise.resolve(null),
    adopt: () => Promise.resolve(),
    abandon() {},
    ...overrides,
  };
}
