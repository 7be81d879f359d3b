import type { PartitionLifecycle } from './partition-lifecycle.js';

/** What the gate needs to know about the worker whose dispatch waits. */
export interface GatedWorker {
  readonly state: string;
  readonly signal: AbortSignal;
}

/**
 * Zombie guard. A member frozen past its session timeout (GC pause, SIGSTOP, a blocked event loop)
 * may have been replaced without knowing it: its queued records may have been processed and
 * committed by the successor already. It dispatches nothing until a heartbeat or a join confirms
 * its membership; a rejoin under a new member id then retires its workers.
 */
export class MembershipGate {
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly lifecycle: PartitionLifecycle,
    private readonly closing: () => boolean,
  ) {}

  /** The membership was confirmed (or the group is closing): wake every waiting dispatch. */
  wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves true once `worker` may dispatch, false when it was revoked or stopped meanwhile. */
  async confirmed(worker: GatedWorker): Promise<boolean> {
    const stopped = () => this.closing() || worker.state === 'revoked' || worker.signal.aborted;
    while (!this.lifecycle.mayDispatch(Date.now())) {
      if (stopped()) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          worker.signal.removeEventListener('abort', wake);
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        worker.signal.addEventListener('abort', wake, { once: true });
      });
    }
    // Woken by the join that revoked it: the same join confirmed the membership.
    return !stopped();
  }
}
