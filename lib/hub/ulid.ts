/**
 * Monotonic ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds then 80 random bits, in
 * Crockford's base 32, so ids sort in the order they were made. Within one millisecond, or while
 * the clock reads earlier than the last id's time, the random part of the last id goes up by one
 * instead, as the `ulid` package's `monotonicFactory` does.
 *
 * Written here rather than imported: the npm package was the only npm module the hub loaded at
 * start, and loading any npm module sets up Deno's Node compatibility layer, about 7 MiB resident
 * in every process whether it ever uses Redis or not.
 *
 * @module
 */

const ENCODING = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_LENGTH = 10;
const RANDOM_LENGTH = 16;
/** The largest time a ULID holds: 2^48 - 1 ms. */
const TIME_MAX = 2 ** 48 - 1;

/** The time part: `time` in 10 base-32 digits, most significant first. */
export function encodeTime(time: number): string {
  if (!Number.isInteger(time) || time < 0 || time > TIME_MAX) {
    throw new RangeError(`A ULID time must be a whole number from 0 to 2^48 - 1, got ${time}`);
  }
  let out = "";
  for (let i = 0; i < TIME_LENGTH; i++) {
    out = ENCODING[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

/** The milliseconds a ULID's first 10 characters hold. */
export function decodeTime(id: string): number {
  let time = 0;
  for (let i = 0; i < TIME_LENGTH; i++) time = time * 32 + ENCODING.indexOf(id[i]);
  return time;
}

/**
 * A ULID maker that never repeats and never goes down.
 *
 * @example
 * ```ts
 * const ulid = monotonicUlid();
 * const a = ulid(), b = ulid(); // a < b, even within one millisecond
 * ```
 */
export function monotonicUlid(now: () => number = Date.now): () => string {
  let lastTime = -1;
  const digits = new Uint8Array(RANDOM_LENGTH);
  return () => {
    const time = now();
    if (time > lastTime) {
      lastTime = time;
      crypto.getRandomValues(digits);
      // 256 is a multiple of 32, so each digit stays uniform.
      for (let i = 0; i < RANDOM_LENGTH; i++) digits[i] &= 31;
    } else {
      let i = RANDOM_LENGTH - 1;
      while (i >= 0 && digits[i] === 31) digits[i--] = 0;
      if (i < 0) throw new Error("ULID random part overflowed within one millisecond");
      digits[i]++;
    }
    let random = "";
    for (let i = 0; i < RANDOM_LENGTH; i++) random += ENCODING[digits[i]];
    return encodeTime(lastTime) + random;
  };
}
