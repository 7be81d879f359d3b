import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { abortableDelay } from './abortable-delay.js';

describe('abortableDelay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resolves true after the delay, ticking meanwhile', async () => {
    const tick = vi.fn();
    const waited = abortableDelay(3500, new AbortController().signal, tick, 1000);
    await vi.advanceTimersByTimeAsync(3500);
    await expect(waited).resolves.toBe(true);
    expect(tick).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(5000);
    expect(tick).toHaveBeenCalledTimes(3);
  });

  it('resolves false as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const tick = vi.fn();
    const waited = abortableDelay(30_000, controller.signal, tick, 1000);
    await vi.advanceTimersByTimeAsync(1500);
    controller.abort();
    await expect(waited).resolves.toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tick).toHaveBeenCalledTimes(1);
  });

  it('resolves false at once for an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(abortableDelay(1000, controller.signal)).resolves.toBe(false);
  });
});
