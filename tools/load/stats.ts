/**
 * Small statistics for the load client and the benchmark harness: percentiles of a list of
 * samples and the least-squares slope of a series (memory per connection).
 *
 * @module
 */

/**
 * The nearest-rank percentile of `samples` (any order; the array is not changed): the smallest
 * sample that at least `p` % of the samples are at or below.
 *
 * ```ts
 * percentile([15, 20, 35, 40, 50], 30); // 20
 * percentile([15, 20, 35, 40, 50], 100); // 50
 * ```
 *
 * @throws {RangeError} if `samples` is empty or `p` is outside 0 to 100.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError("Percentile of no samples");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be 0 to 100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** The least-squares fit `y = slope * x + intercept` of a series. */
export interface Fit {
  slope: number;
  intercept: number;
  /** Coefficient of determination, 1 for points on a line (also 1 when every y is equal). */
  r2: number;
}

/**
 * Fits a line through `(xs[i], ys[i])` by least squares.
 *
 * ```ts
 * linearFit([1000, 2000, 3000], [50e6, 52e6, 54e6]).slope; // 2000: bytes per connection
 * ```
 *
 * @throws {RangeError} if the arrays differ in length, hold fewer than two points, or every x is
 * the same.
 */
export function linearFit(xs: readonly number[], ys: readonly number[]): Fit {
  if (xs.length !== ys.length) {
    throw new RangeError(`linearFit needs as many xs as ys, got ${xs.length} and ${ys.length}`);
  }
  if (xs.length < 2) throw new RangeError(`linearFit needs two points, got ${xs.length}`);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx, dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) throw new RangeError("linearFit needs at least two different xs");
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}

/** The mean of `values`; 0 for none. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
