import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, type ResolvedBackoff } from './backoff.js';

const backoff = (overrides: Partial<ResolvedBackoff>): ResolvedBackoff => ({ ...DEFAULT_BACKOFF, ...overrides });
const never = (): number => {
  throw new Error('random must not be called without jitter');
};

describe('backoffDelay', () => {
  it('defaults to exponential 200 ms, doubling, capped at 10 s, no jitter', () => {
    expect(DEFAULT_BACKOFF).toEqual({
      type: 'exponential',
      delayMs: 200,
      multiplier: 2,
      maxDelayMs: 10_000,
      jitter: 0,
    });
  });

  it('waits delayMs after every failure with the fixed strategy', () => {
    const fixed = backoff({ type: 'fixed', delayMs: 300 });
    expect([1, 2, 3, 10].map((n) => backoffDelay(fixed, n, never))).toEqual([300, 300, 300, 300]);
  });

  it('multiplies the delay by multiplier^(failures - 1) with the exponential strategy', () => {
    const exponential = backoff({ type: 'exponential', delayMs: 100, multiplier: 3, maxDelayMs: 1_000_000 });
    expect([1, 2, 3, 4].map((n) => backoffDelay(exponential, n, never))).toEqual([100, 300, 900, 2700]);
  });

  it('caps the exponential delay at maxDelayMs', () => {
    const capped = backoff({ delayMs: 200, multiplier: 2, maxDelayMs: 1000 });
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(capped, n, never))).toEqual([200, 400, 800, 1000, 1000, 1000]);
  });

  it('caps the fixed delay at maxDelayMs', () => {
    expect(backoffDelay(backoff({ type: 'fixed', delayMs: 500, maxDelayMs: 100 }), 1, never)).toBe(100);
  });

  it('stays finite and capped for a very large failure count', () => {
    expect(backoffDelay(backoff({ maxDelayMs: 5000 }), 10_000, never)).toBe(5000);
  });

  it.each([0, -3, 0.5])('treats failures=%s as the first failure', (failures) => {
    const exponential = backoff({ delayMs: 100, multiplier: 2 });
    expect(backoffDelay(exponential, failures, never)).toBe(100);
  });

  it('floors a fractional failure count', () => {
    expect(backoffDelay(backoff({ delayMs: 100, multiplier: 2 }), 2.9, never)).toBe(200);
  });

  it('rounds the delay to whole milliseconds', () => {
    expect(backoffDelay(backoff({ delayMs: 10, multiplier: 1.55 }), 2, never)).toBe(16);
  });

  describe('jitter', () => {
    const jittered = backoff({ type: 'fixed', delayMs: 1000, jitter: 0.5 });

    it('keeps the full delay when random() returns 0', () => {
      expect(backoffDelay(jittered, 1, () => 0)).toBe(1000);
    });

    it('shortens the delay by at most jitter * delay', () => {
      expect(backoffDelay(jittered, 1, () => 0.999999)).toBe(500);
      expect(backoffDelay(jittered, 1, () => 0.5)).toBe(750);
    });

    it('applies the spread after the cap', () => {
      const cappedJitter = backoff({ delayMs: 1000, multiplier: 10, maxDelayMs: 2000, jitter: 0.25 });
      expect(backoffDelay(cappedJitter, 5, () => 1)).toBe(1500);
    });

    it('can shrink the delay to 0 with jitter 1', () => {
      expect(backoffDelay(backoff({ type: 'fixed', delayMs: 800, jitter: 1 }), 1, () => 1)).toBe(0);
    });

    it('stays within [delay * (1 - jitter), delay] for any random value', () => {
      for (let i = 0; i <= 100; i++) {
        const delay = backoffDelay(jittered, 1, () => i / 100);
        expect(delay).toBeGreaterThanOrEqual(500);
        expect(delay).toBeLessThanOrEqual(1000);
      }
    });

    it('does not call random() when jitter is 0', () => {
      expect(backoffDelay(backoff({ jitter: 0 }), 1, never)).toBe(200);
    });
  });
});
