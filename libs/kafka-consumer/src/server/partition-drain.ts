import type { KafkaMessage } from 'kafkajs';
import { backoffDelay, type ResolvedBackoff } from '../util/backoff.js';
import type { ResolvedBatch } from '../options/batch.options.js';
import { BatchDrain } from './batch-drain.js';
import type { BufferBudget } from './buffer-budget.js';
import { ConcurrentDrain } from './concurrent-drain.js';
import type { FetchPause } from './fetch-pause.js';
import { OrderedDrain } from './ordered-drain.js';
import type { PartitionWorker } from './partition-worker.js';
import type { PartitionWorkerHost, PartitionWorkerLimits } from './partition-worker.types.js';
import { RecordQueue } from './record-queue.js';
import { RedeliveryWait } from './redelivery-wait.js';

/** What a partition drain needs from its worker besides the worker's public state. */
export interface PartitionDrainHooks {
  /** Not stopped, paused or held for a rebalance. */
  mayRun(): boolean;
  /** Shutdown or revoke stopped the worker. */
  stopped(): boolean;
}

/**
 * The processing side of one partition: holds its queued records and runs them through the drain of
 * its handler's mode (`ordered-drain.ts` one at a time in offset order, `batch-drain.ts` in batches,
 * `concurrent-drain.ts` by key or unordered). Settles what ran: offsets done in the worker's
 * tracker, a commit point at the end of each fetched batch, and the backoff before a failed record
 * is delivered again (`redelivery-wait.ts`).
 */
export class PartitionDrain {
  private readonly queue: RecordQueue;
  /** Set in `'key'` and `'unordered'` modes: holds the queued records instead of `queue`. */
  private readonly concurrent: ConcurrentDrain | null;
  /** Set for batch handlers: drains the queue in batches instead of `ordered`. */
  private readonly batchDrain: BatchDrain | null;
  /** Set in `'partition'` mode: drains the queue one record at a time. */
  private readonly ordered: OrderedDrain | null;
  private readonly redeliveryWait: RedeliveryWait;
  /** Last offset of each fetched batch still queued: finishing one ends a batch (a commit point). */
  private readonly batchEnds = new Set<string>();
  private draining: Promise<void> | null = null;
  private failures = 0;

  constructor(
    private readonly worker: PartitionWorker,
    private readonly host: PartitionWorkerHost,
    private readonly redelivery: ResolvedBackoff,
    buffer: BufferBudget,
    limits: PartitionWorkerLimits,
    /** Re-evaluated when records settle; told when a redelivery wait starts and ends. */
    private readonly fetchPause: FetchPause,
    private readonly hooks: PartitionDrainHooks,
  ) {
    this.queue = new RecordQueue(buffer);
    const { concurrency } = limits;
    this.concurrent =
      concurrency && concurrency.mode !== 'partition'
        ? new ConcurrentDrain(concurrency.mode, concurrency.limit, buffer, {
            mayStart: hooks.mayRun,
            dueAt: (message) => this.host.dueAt(this.worker, message),
            dispatch: (message) => this.host.dispatch(this.worker, message),
            // A record settles in any order; the tracker commits only the contiguous prefix.
            settled: (message) =>
              this.hooks.stopped() ? this.finishWhileStopping(message) : this.progress(this.finish(message)),
            // Only the failed record's key waits (`'unordered'`: only itself).
            failed: (message, failures, error) => {
              if (error !== undefined) this.worker.lastError = error;
              return this.redeliveryDelay(message, failures);
            },
          })
        : null;
    this.batchDrain = limits.batch ? this.createBatchDrain(limits.batch) : null;
    this.ordered = this.concurrent || this.batchDrain ? null : this.createOrderedDrain();
    this.redeliveryWait = new RedeliveryWait((active) => this.fetchPause.setWaiting(active));
  }

  /** Records queued (concurrent modes: running ones included). */
  get length(): number {
    return this.concurrent ? this.concurrent.length : this.queue.length;
  }

  /** Bytes of the queued records (key, value, headers). */
  get queuedBytes(): number {
    return this.concurrent ? this.concurrent.queuedBytes : this.queue.queuedBytes;
  }

  /** Fetched records still referenced (queued, or processed and not yet released). */
  get retained(): number {
    return this.concurrent ? this.concurrent.length : this.queue.retained;
  }

  /** Records whose handler runs now. */
  get inFlight(): number {
    return this.concurrent ? this.concurrent.inFlight : this.draining ? 1 : 0;
  }

  /** True while a handler runs. */
  get busy(): boolean {
    return this.concurrent ? this.concurrent.inFlight > 0 : this.draining !== null;
  }

  /** Queues a detached copy of `message` if the group's buffer has room; false when not. */
  tryPush(message: KafkaMessage): boolean {
    return (this.concurrent ?? this.queue).tryPush(message);
  }

  /** `offset` is the last record taken from a fetched batch: finishing it is a commit point. */
  markBatchEnd(offset: string): void {
    this.batchEnds.add(offset);
  }

  /** Records were queued: start them. */
  onQueued(): void {
    this.batchDrain?.onQueued();
    this.kick();
  }

  /** Starts running queued records unless they already run or the worker may not run now. */
  kick(): void {
    if (this.concurrent) return this.concurrent.pump();
    if (this.draining || !this.hooks.mayRun()) return;
    this.draining = (this.batchDrain ?? this.ordered!)
      .drain()
      .catch((error: unknown) => {
        // Only a failure outside the handler (a logger, the host) gets here: never let it kill the
        // process; the record stays first in the queue and is tried again.
        this.worker.lastError = error;
        this.failures++;
        return new Promise<void>((resolve) =>
          setTimeout(resolve, backoffDelay(this.redelivery, this.failures)).unref(),
        );
      })
      .finally(() => {
        this.draining = null;
        // Records that arrived (or a release/resume) after the loop's last check must not wait for the next event.
        if (this.queue.length > 0) this.kick();
      });
  }

  /** Drops what is queued and cuts a wait short; running records finish. */
  stop(): void {
    this.queue.clear();
    this.concurrent?.clear();
    this.batchEnds.clear();
    this.batchDrain?.interrupt();
    this.redeliveryWait.interrupt();
  }

  /** Resolves when no handler runs. */
  async idle(): Promise<void> {
    if (this.concurrent) return this.concurrent.idle();
    while (this.draining) await this.draining;
  }

  private createOrderedDrain(): OrderedDrain {
    return new OrderedDrain(this.queue, {
      mayRun: this.hooks.mayRun,
      stopped: this.hooks.stopped,
      dueAt: (message) => this.host.dueAt(this.worker, message),
      dispatch: (message) => this.host.dispatch(this.worker, message),
      settledWhileStopping: (message) => this.finishWhileStopping(message),
      settled: (message) => {
        this.failures = 0;
        this.queue.shift();
        this.progress(this.finish(message));
      },
      failed: (message) => this.redeliveryWait.wait(this.redeliveryDelay(message, ++this.failures)),
      wait: (delayMs) => this.redeliveryWait.wait(delayMs),
    });
  }

  private createBatchDrain(batch: ResolvedBatch): BatchDrain {
    return new BatchDrain(batch, this.queue, {
      mayRun: this.hooks.mayRun,
      stopped: this.hooks.stopped,
      dispatch: (messages) => this.host.dispatchBatch!(this.worker, messages),
      settledWhileStopping: (messages) => {
        for (const message of messages) this.finishWhileStopping(message);
      },
      settled: (messages) => {
        this.failures = 0;
        let endOfBatch = false;
        for (const message of messages) {
          this.queue.shift();
          endOfBatch = this.finish(message) || endOfBatch;
        }
        this.progress(endOfBatch);
      },
      failed: (message) => this.redeliveryWait.wait(this.redeliveryDelay(message, ++this.failures)),
    });
  }

  /** A record is settled: its offset is done. True when it ends a fetched batch. */
  private finish(message: KafkaMessage): boolean {
    this.worker.tracker.finish(Number(message.offset));
    return this.batchEnds.delete(message.offset);
  }

  /**
   * Shutdown let a running record finish: its offset goes in the final commit. A revoked
   * partition's record is not ours to commit (the new owner reads it again).
   */
  private finishWhileStopping(message: KafkaMessage): void {
    if (this.worker.state !== 'revoked') this.worker.tracker.finish(Number(message.offset));
  }

  /** Records were settled: fetching may resume, offsets may be committed. */
  private progress(endOfBatch: boolean): void {
    this.fetchPause.update();
    // A commit point at the end of every fetched batch (as Spring Kafka's BATCH ack mode), not
    // only when the queue drains: under a backlog that keeps the uncommitted window to a batch.
    this.host.onProgress(this.worker, endOfBatch || this.length === 0);
  }

  /** A record failed for the `failures`th time in a row: the wait before it is delivered again. */
  private redeliveryDelay(message: KafkaMessage, failures: number): number {
    const delayMs = backoffDelay(this.redelivery, failures);
    this.host.onRedelivery(this.worker, message, delayMs);
    return delayMs;
  }
}
