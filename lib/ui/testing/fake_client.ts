/**
 * A stand-in for the `HubClient` in store tests: events and state changes are pushed by the test,
 * and requests go to a {@linkcode fakeRequest} table. Only what the store uses is here.
 *
 * @module
 */

import type { ConnectionState, HubClient } from "../../client/mod.ts";
import type { Events, EventType } from "../../protocol/mod.ts";
import { type FakeRequest, fakeRequest } from "./fake_request.ts";

export interface FakeClient extends FakeRequest {
  /** The client, as the store sees it. */
  client: HubClient;
  /** Delivers an event to the store's listeners, as a frame from the hub would. */
  emit<E extends EventType>(type: E, data: Events[E]): void;
  /** Announces a state change. */
  setState(state: ConnectionState): void;
}

export function fakeClient(answers: Parameters<typeof fakeRequest>[0]): FakeClient {
  const hub = fakeRequest(answers);
  const listeners = new Map<string, Set<(data: never) => void>>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  const client = {
    on(type: string, fn: (data: never) => void) {
      const set = listeners.get(type) ?? new Set();
      listeners.set(type, set.add(fn));
      return () => set.delete(fn);
    },
    onState(fn: (state: ConnectionState) => void) {
      stateListeners.add(fn);
      return () => stateListeners.delete(fn);
    },
    request: (type: string, data?: unknown) => hub.request(type as never, data as never),
    reconnect() {},
  } as unknown as HubClient;
  return {
    ...hub,
    client,
    emit(type, data) {
      for (const fn of listeners.get(type) ?? []) (fn as (d: typeof data) => void)(data);
    },
    setState(state) {
      for (const fn of stateListeners) fn(state);
    },
  };
}
