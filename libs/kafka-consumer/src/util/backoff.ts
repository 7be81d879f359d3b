/** A named backoff: how long to wait before attempt `n + 1` after `n` failures. */
export interface BackoffOptions {
  /** `fixed`: always `delayMs`; `exponential`: `delayMs * multiplier^(failures - 1)`. Default `exponential`. */
  type?: 'fixed' | 'exponential';
  /** Base delay in ms. Default 200. */
  delayMs?: number;
  /** Growth factor for `exponential`. Default 2. */
  multiplier?: number;
  /** Upper bound in ms. Default 10 000. */
  maxDelayMs?: number;
  /** Random spread as a fraction of the delay (0..1): the delay is drawn from `[d * (1 - jitter), d]`. Default 0. */
  jitter?: number;
}

export type ResolvedBackoff = Required<BackoffOptions>;

export const DEFAULT_BACKOFF: ResolvedBackoff = {
  type: 'exponential',
  delayMs: 200,
  multiplier: 2,
  maxDelayMs: 10_000,
  jitter: 0,
};

/**
 * Delay in ms before the next attempt after `failures` consecutive failures (1-based).
 * `random` is injectable so the jitter is testable.
 */
export function backoffDelay(backoff: ResolvedBackoff, failures: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(failures));
  const raw = backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * Math.pow(backoff.multiplier, n - 1);
  const capped = Math.min(raw, backoff.maxDelayMs);
  if (backoff.jitter <= 0) return Math.round(capped);
  return Math.round(capped * (1 - backoff.jitter * random()));
}
