import { describe, expect, it } from 'vitest';
import { median, secondHalf, slopePerMinute } from '../support/trend.js';

describe('slopePerMinute', () => {
  it('is the rise per minute of samples on a line', () => {
    const samples = [0, 1, 2, 3].map((i) => ({ at: i * 15_000, value: 100 + i * 5 }));
    expect(slopePerMinute(samples)).toBeCloseTo(20);
  });

  it('is 0 for a flat series and negative for a falling one', () => {
    expect(slopePerMinute([0, 1, 2].map((i) => ({ at: i * 1000, value: 7 })))).toBe(0);
    expect(slopePerMinute([0, 1].map((i) => ({ at: i * 60_000, value: 10 - i * 4 })))).toBeCloseTo(-4);
  });

  it('fits through noise: a sawtooth around a flat level has a slope near 0', () => {
    const samples = Array.from({ length: 60 }, (_, i) => ({ at: i * 1000, value: 50 + (i % 2 === 0 ? 3 : -3) }));
    expect(Math.abs(slopePerMinute(samples))).toBeLessThan(0.5);
  });

  it('is 0 with fewer than two samples or no time between them', () => {
    expect(slopePerMinute([])).toBe(0);
    expect(slopePerMinute([{ at: 5, value: 1 }])).toBe(0);
    expect(
      slopePerMinute([
        { at: 5, value: 1 },
        { at: 5, value: 9 },
      ]),
    ).toBe(0);
  });
});

describe('secondHalf', () => {
  it('keeps the samples from the midpoint in time on', () => {
    const samples = [0, 10, 20, 70, 100].map((at) => ({ at, value: at }));
    expect(secondHalf(samples).map((s) => s.at)).toEqual([70, 100]);
    expect(secondHalf([])).toEqual([]);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
