import type { KafkaMessage } from 'kafkajs';
import type { ResolvedBatch } from '../options/batch.options.js';
import type { RecordQueue } from './record-queue.js';

/** What a batch drain needs from its partition worker. */
export interface BatchDrainHooks {
  /** Not stopped, paused or held for a rebalance. */
  mayRun(): boolean;
  /** Shutdown or revoke stopped the worker while a batch ran. */
  stopped(): boolean;
  /** Runs the batch through its handler; resolves to how many records, from the first, are settled. */
  dispatch(messages: KafkaMessage[]): Promise<number>;
  /** These first records of the queue are settled: release them, mark their offsets done. */
  settled(messages: KafkaMessage[]): void;
  /** Shutdown let a running batch finish: its settled records go in the final commit (unless revoked). */
  settledWhileStopping(messages: KafkaMessage[]): void;
  /** `message`, first of the queue, failed and stays: wait the redelivery backoff. */
  failed(message: KafkaMessage): Promise<void>;
}

/**
 * The drain loop of a batch handler's partition: takes up to `maxSize` queued records (waiting at
 * most `maxWaitMs` for the queue to reach `maxSize`), dispatches them as one batch, releases the
 * settled ones and, when a record is left unsettled, waits before it is delivered again as the
 * first record of the next batch. Kept out of `PartitionWorker` so the worker only hooks it in.
 */
export class BatchDrain {
  private wake: (() => void) | null = null;

  constructor(
    private readonly batch: ResolvedBatch,
    private readonly queue: RecordQueue,
    private readonly hooks: BatchDrainHooks,
  ) {}

  /** Records were queued: a batch waiting for `maxSize` records may go now. */
  onQueued(): void {
    if (this.queue.length >= this.batch.maxSize) this.wake?.();
  }

  /** Stop, pause or hold: cut the wait for more records short. */
  interrupt(): void {
    this.wake?.();
  }

  async drain(): Promise<void> {
    while (this.hooks.mayRun() && this.queue.length > 0) {
      await this.fill();
      if (!this.hooks.mayRun() || this.queue.length === 0) return;
      const messages = this.queue.peekMany(this.batch.maxSize);
      const settled = Math.max(0, Math.min(await this.hooks.dispatch(messages), messages.length));
      const done = messages.slice(0, settled);
      if (this.hooks.stopped()) {
        this.hooks.settledWhileStopping(done);
        return;
      }
      if (done.length > 0) this.hooks.settled(done);
      if (settled < messages.length) await this.hooks.failed(messages[settled]);
    }
  }

  /** Waits up to `maxWaitMs` while fewer than `maxSize` records are queued. */
  private async fill(): Promise<void> {
    if (this.batch.maxWaitMs === 0 || this.queue.length >= this.batch.maxSize) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.batch.maxWaitMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
