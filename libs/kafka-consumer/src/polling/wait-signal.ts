/** Lets callers wait (with a timeout) until something calls `wake()`. */
export class WaitSignal {
  private readonly waiters = new Set<() => void>();

  /** Resolves on the next `wake()` or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  wake(): void {
    for (const wake of this.waiters) wake();
  }
}
