/**
 * A bound on records running at once, shared by every partition of one handler (`maxInFlight`).
 * Pure logic: no I/O.
 */
export class InFlightLimit {
  private used = 0;
  private readonly waiting = new Set<() => void>();

  constructor(readonly max: number) {}

  /** Records running now. */
  get inFlight(): number {
    return this.used;
  }

  /** Takes a slot; false when all `max` are taken. */
  tryAcquire(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  /**
   * Gives a slot back and wakes the partition that has waited longest for one (once). Waking one
   * per slot, not all, keeps a busy handler from running every partition's pump per record.
   */
  release(): void {
    this.used--;
    this.wakeNext();
  }

  /** Calls `onFree` once, in turn, when a slot is free. A woken partition that takes none calls `wakeNext()`. */
  whenFree(onFree: () => void): void {
    this.waiting.add(onFree);
  }

  /** Wakes the next waiting partition if a slot is free (the one woken before took none). */
  wakeNext(): void {
    if (this.used >= this.max) return;
    for (const next of this.waiting) {
      this.waiting.delete(next);
      next();
      return;
    }
  }

  /** Cancels a `whenFree` callback (the partition stopped). */
  cancel(onFree: () => void): void {
    this.waiting.delete(onFree);
  }
}
