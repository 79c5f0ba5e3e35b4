/**
 * Formatting for the UI: clock times and durations. Pure functions, so the server render and the
 * browser agree on everything but the time zone.
 *
 * @module
 */

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * `HH:MM:SS` in the local time zone of whoever runs it.
 *
 * ```ts
 * clockTime(new Date(2025, 0, 1, 9, 5, 7).getTime()); // "09:05:07"
 * ```
 */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * `HH:MM` in the local time zone, for message stamps.
 *
 * ```ts
 * shortTime(new Date(2025, 0, 1, 9, 5, 7).getTime()); // "09:05"
 * ```
 */
export function shortTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * A duration as a person reads it: `42s`, `3m 05s`, `2h 03m 05s`. Negative values count as 0.
 *
 * ```ts
 * duration(125_000); // "2m 05s"
 * ```
 */
export function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

/**
 * How long ago `then` was, relative to `now`, coarsely: `just now`, `12s ago`, `3m ago`.
 *
 * ```ts
 * ago(1_000, 13_000); // "12s ago"
 * ```
 */
export function ago(then: number, now: number): string {
  const s = Math.floor((now - then) / 1000);
  if (s < 2) return "just now";
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ago`;
  return `${Math.floor(m / 60)}h ago`;
}
