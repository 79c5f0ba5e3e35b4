/**
 * A client of a hub in another process that records every event it gets. A test marks a point
 * before it acts and then waits for an event that came after the mark, so an older event that
 * happens to match can never stand in for the one the action should cause.
 */

import { HubClient } from "../lib/client/mod.ts";
import type { Events, EventType } from "../lib/protocol/mod.ts";
import type { ServerProcess } from "./server_process.ts";

/** A point in the order events arrived in this process, from {@link mark}. */
export type Mark = number;

/** One event as a recorder got it; `n` orders it among the events of every recorder. */
export interface Recorded {
  n: number;
  type: EventType;
  data: Record<string, unknown>;
}

export interface Since {
  /** Only events that arrived after this mark count. */
  after: Mark;
  timeoutMs?: number;
}

// One counter for every recorder, so one mark taken before an action serves all of them.
let arrived = 0;

/** Marks now: an `expect` or `upTo` given this mark sees only the events that come later. */
export function mark(): Mark {
  return arrived;
}

const RECORDED: EventType[] = [
  "presence",
  "chat",
  "renamed",
  "dm_request",
  "dm_accepted",
  "dm_declined",
  "dm",
  "dm_closed",
];

export class Recorder implements AsyncDisposable {
  readonly events: Recorded[] = [];
  readonly client: HubClient;
  id = "";
  #waiters = new Set<() => void>();

  private constructor(url: string) {
    this.client = new HubClient(url, { reconnect: false, requestTimeoutMs: 5000 });
    for (const type of RECORDED) {
      this.client.on(type, (data) => {
        this.events.push({ n: ++arrived, type, data: data as Record<string, unknown> });
        for (const waiter of this.#waiters) waiter();
      });
    }
  }

  static async open(node: ServerProcess): Promise<Recorder> {
    const recorder = new Recorder(node.wsUrl);
    recorder.id = (await recorder.client.ready()).sessionId;
    return recorder;
  }

  /** Waits for the first event of `type`, with data that includes `fields`, after `after`. */
  async expect<E extends EventType>(
    type: E,
    fields: Partial<Events[E]>,
    since: Since,
  ): Promise<Events[E]> {
    const found = await this.#first(type, fields, since);
    return found.data as Events[E];
  }

  /**
   * Waits like {@link expect}, then returns every event from `after` up to and including the one
   * it waited for. With a sentinel sent behind the action on an ordered path, this is everything
   * the action caused: a duplicate would have come before the sentinel.
   */
  async upTo<E extends EventType>(
    type: E,
    fields: Partial<Events[E]>,
    since: Since,
  ): Promise<Recorded[]> {
    const found = await this.#first(type, fields, since);
    return this.events.filter((e) => e.n > since.after && e.n <= found.n);
  }

  #first(type: EventType, fields: object, { after, timeoutMs = 5000 }: Since): Promise<Recorded> {
    const matches = (e: Recorded) =>
      e.n > after && e.type === type &&
      Object.entries(fields).every(([k, v]) => e.data[k] === v);
    let scanned = 0;
    const find = () => {
      for (; scanned < this.events.length; scanned++) {
        if (matches(this.events[scanned])) return this.events[scanned];
      }
      return undefined;
    };
    const found = find();
    if (found) return Promise.resolve(found);
    const { promise, resolve, reject } = Promise.withResolvers<Recorded>();
    const waiter = () => {
      const found = find();
      if (!found) return;
      stop();
      resolve(found);
    };
    const timer = setTimeout(() => {
      stop();
      const recent = JSON.stringify(this.events.slice(-5)).slice(0, 800);
      reject(
        new Error(
          `no ${type} ${JSON.stringify(fields)} after mark ${after} within ${timeoutMs} ms; ` +
            `last events: ${recent}`,
        ),
      );
    }, timeoutMs);
    const stop = () => {
      clearTimeout(timer);
      this.#waiters.delete(waiter);
    };
    this.#waiters.add(waiter);
    return promise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.client.close();
  }
}
