import type { KafkaMessage } from 'kafkajs';
import type { CommitMode } from '../kafka-consumer.options.js';
import { backoffDelay, type ResolvedBackoff } from '../util/backoff.js';
import { PartitionTracker } from './partition-tracker.js';

/** What a partition worker needs from its consumer group runner. */
export interface PartitionWorkerHost {
  /** Runs one record through its handler; resolves true when it is settled (processed or dead-lettered). */
  dispatch(worker: PartitionWorker, message: KafkaMessage): Promise<boolean>;
  /** A record failed and will be delivered again after `delayMs`. */
  onRedelivery(worker: PartitionWorker, message: KafkaMessage, delayMs: number): void;
  setFetchPaused(worker: PartitionWorker, paused: boolean): void;
  /** Epoch ms before which `message` must not be dispatched (retry topics); 0 for now. */
  dueAt(worker: PartitionWorker, message: KafkaMessage): number;
  /** Offsets became committable. `idle`: the queue drained (end of batch). */
  onProgress(worker: PartitionWorker, idle: boolean): void;
}

export type PartitionState = 'loading' | 'ready' | 'revoked';

/**
 * Owns one assigned partition: a bounded queue of fetched records processed strictly in order,
 * the offset tracker, fetch pausing (backpressure, redelivery waits, user pause) and the wait
 * before a failed record is delivered again.
 */
export class PartitionWorker {
  readonly tracker: PartitionTracker;
  state: PartitionState;
  /** Fencing token from the offset store's `load`. */
  epoch: number | undefined;
  /** Why the last dispatch failed, for the redelivery log line. */
  lastError: unknown;

  private queue: KafkaMessage[] = [];
  /** Last offset of each fetched batch still queued: finishing one ends a batch (a commit point). */
  private readonly batchEnds = new Set<string>();
  private head = 0;
  private draining: Promise<void> | null = null;
  private failures = 0;
  private waiting: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private userPaused = false;
  /** A rebalance is in progress: nothing new is dispatched until the group's next join. */
  private held = false;
  private fetchPaused = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    readonly topic: string,
    readonly partition: number,
    commitMode: CommitMode,
    private readonly host: PartitionWorkerHost,
    private readonly maxQueued: number,
    private readonly redelivery: ResolvedBackoff,
    ready: boolean,
  ) {
    this.tracker = new PartitionTracker(commitMode);
    this.state = ready ? 'ready' : 'loading';
  }

  /** Aborted on revoke and on shutdown. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get key(): string {
    return `${this.topic}:${this.partition}`;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** True while a handler runs for this partition. */
  get busy(): boolean {
    return this.draining !== null;
  }

  /**
   * Adds fetched records. Records at or below an offset already held are skipped (a re-fetch
   * after a rebalance). Returns how many were accepted.
   */
  enqueue(messages: readonly KafkaMessage[]): number {
    if (this.state !== 'ready' || this.stopped) return 0;
    let accepted = 0;
    for (const message of messages) {
      if (!this.tracker.register(Number(message.offset))) continue;
      this.queue.push(message);
      accepted++;
    }
    if (accepted > 0) {
      this.batchEnds.add(this.queue[this.queue.length - 1].offset);
      this.updateFetchPause();
      this.kick();
    }
    return accepted;
  }

  /** Stops fetching and dispatching this partition until `resume()` (ctx.pause()). */
  pause(): void {
    this.userPaused = true;
    this.updateFetchPause();
  }

  resume(): void {
    if (!this.userPaused) return;
    this.userPaused = false;
    this.updateFetchPause();
    this.kick();
  }

  /**
   * The group is rebalancing: dispatch nothing new (the running record finishes), so a partition
   * that moves to another member is not processed further by this one, uncommittable.
   */
  hold(): void {
    this.held = true;
  }

  /** The rebalance is over and the partition stayed ours: go on dispatching. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.kick();
  }

  /** The partition is no longer ours: drop what is queued, cut a redelivery wait short. */
  revoke(): void {
    this.state = 'revoked';
    this.stop();
  }

  /** Shutdown: stop dispatching new records; the running one finishes. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    this.queue = [];
    this.head = 0;
    this.batchEnds.clear();
    this.interruptWait();
  }

  /** Resolves when no handler runs for this partition. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Re-applies this worker's fetch pause (kafkajs keeps pauses across rebalances). */
  syncFetchPause(): void {
    this.host.setFetchPaused(this, this.shouldPauseFetch());
    this.fetchPaused = this.shouldPauseFetch();
  }

  markReady(): void {
    if (this.state !== 'loading') return;
    this.state = 'ready';
    this.updateFetchPause();
  }

  private shouldPauseFetch(): boolean {
    return this.state !== 'ready' || this.userPaused || this.waiting !== null || this.queued >= this.maxQueued;
  }

  private updateFetchPause(): void {
    if (this.state === 'revoked' || this.stopped) return;
    const shouldPause = this.shouldPauseFetch();
    // Resume only once the queue is below half, so fetching does not flap at the limit.
    if (!shouldPause && this.fetchPaused && this.queued > this.maxQueued / 2 && !this.userPaused && !this.waiting)
      return;
    if (shouldPause !== this.fetchPaused) {
      this.fetchPaused = shouldPause;
      this.host.setFetchPaused(this, shouldPause);
    }
  }

  private kick(): void {
    if (this.draining || this.stopped || this.userPaused || this.held) return;
    this.draining = this.drain()
      .catch((error: unknown) => {
        // Only a failure outside the handler (a logger, the host) gets here: never let it kill the
        // process; the record stays first in the queue and is tried again.
        this.lastError = error;
        this.failures++;
        return new Promise<void>((resolve) =>
          setTimeout(resolve, backoffDelay(this.redelivery, this.failures)).unref(),
        );
      })
      .finally(() => {
        this.draining = null;
        // Records that arrived (or a release/resume) after the loop's last check must not wait for the next event.
        if (this.head < this.queue.length) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && !this.userPaused && !this.held && this.head < this.queue.length) {
      const message = this.queue[this.head];
      // At most a minute at a time: the due time is read again, and a far-future or bogus header
      // cannot overflow the timer.
      const waitMs = Math.min(this.host.dueAt(this, message) - Date.now(), 60_000);
      if (waitMs > 0) {
        // Not due yet: the partition waits (fetch paused), other partitions go on.
        await this.waitBeforeRedelivery(waitMs);
        continue;
      }
      const settled = await this.host.dispatch(this, message);
      if (this.stopped) {
        // Shutdown let the running record finish: its offset goes in the final commit. A revoked
        // partition's record is not ours to commit (the new owner reads it again).
        if (settled && this.state !== 'revoked') this.tracker.finish(Number(message.offset));
        return;
      }
      if (settled) {
        this.failures = 0;
        this.head++;
        this.tracker.finish(Number(message.offset));
        if (this.head > 4096 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        this.updateFetchPause();
        // A commit point at the end of every fetched batch (as Spring Kafka's BATCH ack mode), not
        // only when the queue drains: under a backlog that keeps the uncommitted window to a batch.
        const endOfBatch = this.batchEnds.delete(message.offset);
        this.host.onProgress(this, endOfBatch || this.head >= this.queue.length);
        continue;
      }
      this.failures++;
      const delayMs = backoffDelay(this.redelivery, this.failures);
      this.host.onRedelivery(this, message, delayMs);
      await this.waitBeforeRedelivery(delayMs);
    }
  }

  private waitBeforeRedelivery(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.updateFetchPause();
        resolve();
      }, delayMs);
      this.waiting = { timer, resolve };
      this.updateFetchPause();
    });
  }

  private interruptWait(): void {
    if (!this.waiting) return;
    clearTimeout(this.waiting.timer);
    const { resolve } = this.waiting;
    this.waiting = null;
    resolve();
  }
}
