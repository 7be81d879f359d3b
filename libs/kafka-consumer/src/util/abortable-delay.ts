/**
 * Waits `delayMs`, calling `onTick` every `tickMs` meanwhile. Resolves true when the delay
 * passed, false as soon as `signal` aborts.
 */
export function abortableDelay(
  delayMs: number,
  signal: AbortSignal,
  onTick?: () => void,
  tickMs = 1000,
): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      signal.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), delayMs);
    const ticker = onTick && delayMs > tickMs ? setInterval(onTick, tickMs) : undefined;
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
