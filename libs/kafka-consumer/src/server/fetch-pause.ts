import type { BufferBudget } from './buffer-budget.js';
import type { PartitionState, PauseSource } from './partition-worker.types.js';

/** What the fetch-pause decision reads from its partition worker (read on every decision). */
export interface FetchPauseSubject {
  /** Paused unless `'ready'`; left as it is once `'revoked'`. */
  readonly state: PartitionState;
  /** Records queued (concurrent modes: running ones included). */
  readonly queued: number;
  /** `uncommittedCount`: records registered and not yet committable. */
  readonly tracker: { readonly uncommittedCount: number };
}

/** What the fetch-pause decision tells its partition worker. */
export interface FetchPauseHooks {
  /** Pauses or resumes fetching this partition. */
  setFetchPaused(paused: boolean): void;
  /** `maxPendingRecords` was reached (told once). */
  onPendingLimit(): void;
}

/**
 * Whether one partition's fetching is paused, and who paused it: its handler or the registry
 * (`pause()`), backpressure (the queue at `maxQueued`, the group's buffer full, `maxPendingRecords`
 * uncommitted), a redelivery wait, or a partition not ready. Resumes only once the queue is below
 * half. Pure logic: the worker applies the decision through `setFetchPaused`.
 */
export class FetchPause {
  /** Who paused this partition: the handler (`ctx.pause()`) and the registry pause independently. */
  private readonly pausedBy = new Set<PauseSource>();
  /** The group's buffer refused a record: fetching waits until it has room again. */
  private bufferFull = false;
  private readonly onBufferRoom = () => {
    this.bufferFull = false;
    this.update();
  };
  private pendingLimitReported = false;
  private fetchPaused = false;
  /** A record waits before it is delivered again (backoff, or not due yet). */
  private waiting = false;
  /** Shutdown or revoke: the pause is no longer changed. */
  private stopped = false;

  constructor(
    private readonly subject: FetchPauseSubject,
    private readonly buffer: BufferBudget,
    private readonly maxQueued: number,
    private readonly maxPendingRecords: number,
    private readonly hooks: FetchPauseHooks,
  ) {}

  /** Paused by its handler or the registry: nothing new is dispatched either. */
  get userPaused(): boolean {
    return this.pausedBy.size > 0;
  }

  pause(source: PauseSource): void {
    this.pausedBy.add(source);
    this.update();
  }

  /** False when `source` had not paused it. */
  resume(source: PauseSource): boolean {
    if (!this.pausedBy.delete(source)) return false;
    this.update();
    return true;
  }

  /** The group's buffer refused a record: pause until it has room. */
  bufferRefused(): void {
    this.bufferFull = true;
    this.buffer.whenRoom(this.onBufferRoom);
  }

  /** A redelivery wait started or ended (`redelivery-wait.ts`). */
  setWaiting(waiting: boolean): void {
    this.waiting = waiting;
    this.update();
  }

  /** Shutdown or revoke: leaves the pause as it is and no longer waits for buffer room. */
  stop(): void {
    this.stopped = true;
    this.buffer.cancel(this.onBufferRoom);
    this.bufferFull = false;
  }

  /** Re-applies the pause (kafkajs keeps pauses across rebalances). */
  sync(): void {
    this.hooks.setFetchPaused(this.shouldPause());
    this.fetchPaused = this.shouldPause();
  }

  /** Pauses or resumes fetching when the decision changed. */
  update(): void {
    if (this.stopped || this.subject.state === 'revoked') return;
    const shouldPause = this.shouldPause();
    // Resume only once the queue is below half, so fetching does not flap at the limit.
    if (
      !shouldPause &&
      this.fetchPaused &&
      this.subject.queued > this.maxQueued / 2 &&
      !this.userPaused &&
      !this.waiting
    )
      return;
    if (shouldPause !== this.fetchPaused) {
      this.fetchPaused = shouldPause;
      this.hooks.setFetchPaused(shouldPause);
    }
  }

  private shouldPause(): boolean {
    return (
      this.subject.state !== 'ready' ||
      this.userPaused ||
      this.waiting ||
      this.subject.queued >= this.maxQueued ||
      this.bufferFull ||
      this.pendingLimitReached()
    );
  }

  private pendingLimitReached(): boolean {
    if (this.subject.tracker.uncommittedCount < this.maxPendingRecords) return false;
    if (!this.pendingLimitReported) {
      this.pendingLimitReported = true;
      this.hooks.onPendingLimit();
    }
    return true;
  }
}
