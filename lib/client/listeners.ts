/**
 * Listener sets whose members cannot hurt each other: a listener that throws is reported with
 * `console.error` and the others still run.
 *
 * @module
 */

/** Calls `fn`, reporting rather than propagating what it throws. */
export function callSafely<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
  try {
    fn(...args);
  } catch (err) {
    console.error("HubClient: a listener threw:", err);
  }
}

/** A set of listeners that all receive the same arguments. */
export class Listeners<A extends unknown[]> {
  #set = new Set<(...args: A) => void>();

  /** Adds `fn`; returns a function that removes it. */
  add(fn: (...args: A) => void): () => void {
    this.#set.add(fn);
    return () => {
      this.#set.delete(fn);
    };
  }

  /** Calls every listener, including ones added by a listener during this call. */
  emit(...args: A): void {
    for (const fn of this.#set) callSafely(fn, ...args);
  }
}

/** Listeners keyed by event type, each receiving that event's `data`. */
export class EventListeners {
  #byType = new Map<string, Listeners<[unknown]>>();

  /** Adds `fn` for events of `type`; returns a function that removes it. */
  on(type: string, fn: (data: never) => void): () => void {
    let listeners = this.#byType.get(type);
    if (listeners === undefined) this.#byType.set(type, listeners = new Listeners());
    return listeners.add(fn as (data: unknown) => void);
  }

  /** Calls the listeners of `type` with `data`. */
  emit(type: string, data: unknown): void {
    this.#byType.get(type)?.emit(data);
  }
}
