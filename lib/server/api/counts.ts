/**
 * The server API's counter for `/metrics`: calls answered, by call and HTTP status, bumped once
 * per call and turned into samples only when `/metrics` is read. Both labels come from fixed sets
 * (the calls of `API_CALLS`, the statuses the API answers with), so no caller can make a series
 * per value it sends.
 *
 * @module
 */

import { API_CALLS, type ApiCall } from "../../protocol/api.ts";

/** Every status the API answers with; any other counts as `other`. */
const STATUSES = ["200", "400", "401", "404", "405", "409", "413", "500"] as const;

export class ApiCounts {
  /** `call status` → calls answered. */
  readonly #counts = new Map<string, number>();

  constructor() {
    // Exported from zero, so a rate is right from the first call.
    for (const call of Object.keys(API_CALLS)) this.#counts.set(`${call} 200`, 0);
  }

  answered(call: ApiCall, status: number): void {
    const label = (STATUSES as readonly string[]).includes(String(status))
      ? String(status)
      : "other";
    const key = `${call} ${label}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Each `[call, status, count]`. */
  *entries(): IterableIterator<[string, string, number]> {
    for (const [key, count] of this.#counts) {
      const [call, status] = key.split(" ");
      yield [call, status, count];
    }
  }
}
