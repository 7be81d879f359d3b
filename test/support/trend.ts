/**
 * Trends of sampled figures (a soak's RSS, heap, handles): pure arithmetic, unit-tested in
 * test/unit/trend.spec.ts.
 */

export interface Sample {
  /** Milliseconds (any origin). */
  readonly at: number;
  readonly value: number;
}

/**
 * Least-squares slope of `samples`, in value units per minute; 0 with fewer than two samples or
 * all at the same time.
 */
export function slopePerMinute(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanAt = samples.reduce((sum, s) => sum + s.at, 0) / n;
  const meanValue = samples.reduce((sum, s) => sum + s.value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const s of samples) {
    covariance += (s.at - meanAt) * (s.value - meanValue);
    variance += (s.at - meanAt) ** 2;
  }
  return variance === 0 ? 0 : (covariance / variance) * 60_000;
}

/** The samples taken from the middle of the run on (at or after the midpoint of the first and last). */
export function secondHalf<S extends { readonly at: number }>(samples: readonly S[]): S[] {
  if (samples.length === 0) return [];
  const middle = (samples[0].at + samples[samples.length - 1].at) / 2;
  return samples.filter((s) => s.at >= middle);
}

/** Median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
