/**
 * A latency histogram with bounded memory: log-linear buckets over whole microseconds, in the
 * spirit of HdrHistogram. Values below 256 µs are exact; above that each power of two is split
 * into 128 buckets, so a reported percentile is within 1/128 (under 0.8 %) of the true sample.
 * Memory is fixed (about 3,300 counters) however long a run is, and histograms from several
 * processes merge exactly, which a stored array of samples cannot do cheaply.
 *
 * @module
 */

/** log2 of the buckets per power of two. */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
/** Values below this get one bucket each. */
const LINEAR = SUB * 2;
/** Largest value kept apart; larger ones (over 35 minutes) share the last bucket. */
const MAX_VALUE = 2 ** 31 - 1;
const BUCKETS = LINEAR + (31 - SUB_BITS - 1) * SUB;

function indexOf(value: number): number {
  if (value < LINEAR) return value;
  const msb = 31 - Math.clz32(value);
  const shift = msb - SUB_BITS;
  return LINEAR + (shift - 1) * SUB + ((value >>> shift) - SUB);
}

/** The largest value that lands in bucket `index`. */
function highestIn(index: number): number {
  if (index < LINEAR) return index;
  const shift = Math.floor((index - LINEAR) / SUB) + 1;
  const top = (index - LINEAR) % SUB + SUB;
  return (top + 1) * 2 ** shift - 1;
}

/** A histogram in a form that survives `JSON.stringify`, for sending between processes. */
export interface HistogramData {
  /** `[bucket index, count]` for every bucket that is not empty. */
  buckets: [number, number][];
  count: number;
  min: number;
  max: number;
  sum: number;
}

/**
 * Counts latencies in microseconds.
 *
 * ```ts
 * const h = new Histogram();
 * for (const ms of [1.2, 0.8, 15]) h.recordMs(ms);
 * h.percentile(50); // 1207: 1200 µs, as the top of its bucket (within 1/128)
 * h.max; // 15000
 * ```
 */
export class Histogram {
  #counts = new Float64Array(BUCKETS);
  #count = 0;
  #min = Infinity;
  #max = 0;
  #sum = 0;

  /** Values recorded. */
  get count(): number {
    return this.#count;
  }

  /** The smallest value recorded in µs, exact; 0 when empty. */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  /** The largest value recorded in µs, exact; 0 when empty. */
  get max(): number {
    return this.#max;
  }

  /** The mean in µs, exact; 0 when empty. */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** Records one value in microseconds; negatives count as 0, fractions are rounded. */
  record(micros: number): void {
    const value = Math.min(MAX_VALUE, Math.max(0, Math.round(micros)));
    this.#counts[indexOf(value)]++;
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Records one value given in (fractional) milliseconds. */
  recordMs(millis: number): void {
    this.record(millis * 1000);
  }

  /**
   * The value at percentile `p` (0 to 100) in µs, by nearest rank: the smallest recorded value
   * that at least `p` % of the values are at or below, as the highest value of its bucket and
   * never above the true maximum. 0 when empty.
   *
   * @throws {RangeError} if `p` is outside 0 to 100.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be 0 to 100, got ${p}`);
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.max(this.min, Math.min(highestIn(i), this.#max));
    }
    return this.#max;
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: Histogram | HistogramData): this {
    const data = other instanceof Histogram ? other.toJSON() : other;
    for (const [index, n] of data.buckets) this.#counts[index] += n;
    if (data.count > 0) {
      this.#count += data.count;
      this.#sum += data.sum;
      this.#min = Math.min(this.#min, data.min);
      this.#max = Math.max(this.#max, data.max);
    }
    return this;
  }

  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#counts[i] !== 0) buckets.push([i, this.#counts[i]]);
    }
    return { buckets, count: this.#count, min: this.min, max: this.#max, sum: this.#sum };
  }

  /** Rebuilds a histogram from {@linkcode toJSON}'s output. */
  static from(data: HistogramData): Histogram {
    return new Histogram().merge(data);
  }
}
