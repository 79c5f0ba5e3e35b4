/**
 * A client of a hub in another process that records every event it gets, so a test can wait for
 * an event that may already have arrived, or count how often one came.
 */

import assert from "node:assert/strict";
import { HubClient } from "../lib/client/mod.ts";
import type { Events, EventType } from "../lib/protocol/mod.ts";
import { eventually } from "./helpers.ts";
import type { ServerProcess } from "./server_process.ts";

/** A client that records every event, so tests can wait for one that may already have come. */
export class Recorder implements AsyncDisposable {
  readonly events: { type: EventType; data: Record<string, unknown> }[] = [];
  readonly client: HubClient;
  id = "";

  private constructor(url: string) {
    this.client = new HubClient(url, { reconnect: false, requestTimeoutMs: 5000 });
    for (
      const type of [
        "presence",
        "chat",
        "renamed",
        "dm_request",
        "dm_accepted",
        "dm_declined",
        "dm",
        "dm_closed",
      ] as const
    ) {
      this.client.on(type, (data) => this.events.push({ type, data: data as never }));
    }
  }

  static async open(node: ServerProcess): Promise<Recorder> {
    const recorder = new Recorder(node.wsUrl);
    recorder.id = (await recorder.client.ready()).sessionId;
    return recorder;
  }

  /** Waits for an event of `type` whose data includes `fields`. */
  async expect<E extends EventType>(
    type: E,
    fields: Partial<Events[E]>,
    timeoutMs = 5000,
  ): Promise<Events[E]> {
    let found: Events[E] | undefined;
    await eventually(() => {
      const match = this.events.find((e) =>
        e.type === type &&
        Object.entries(fields).every(([k, v]) => e.data[k] === v)
      );
      assert.ok(match, `no ${type} ${JSON.stringify(fields)} among ${this.events.length} events`);
      found = match.data as Events[E];
    }, timeoutMs);
    return found!;
  }

  count(type: EventType, fields: Record<string, unknown> = {}): number {
    return this.events.filter((e) =>
      e.type === type && Object.entries(fields).every(([k, v]) => e.data[k] === v)
    ).length;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.client.close();
  }
}
