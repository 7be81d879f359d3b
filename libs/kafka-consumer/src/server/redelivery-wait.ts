/**
 * The wait of a partition that runs records in offset order (partition mode, batch handlers) before
 * its first record is delivered again: the redelivery backoff after a failure, or the time until a
 * retry-topic record is due. One at a time; the partition's fetching stays paused while it lasts
 * (`changed` is told when it starts and ends, also when it is cut short).
 */
export class RedeliveryWait {
  private waiting: { timer: NodeJS.Timeout; resolve: () => void } | null = null;

  constructor(private readonly changed: (active: boolean) => void) {}

  /** Resolves after `delayMs`, or at once when `interrupt()` cuts the wait short. */
  wait(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.changed(false);
        resolve();
      }, delayMs);
      this.waiting = { timer, resolve };
      this.changed(true);
    });
  }

  /** Stop or revoke: ends the running wait now. */
  interrupt(): void {
    if (!this.waiting) return;
    clearTimeout(this.waiting.timer);
    const { resolve } = this.waiting;
    this.waiting = null;
    this.changed(false);
    resolve();
  }
}
