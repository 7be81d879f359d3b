import type { KafkaMessage } from 'kafkajs';
import type { RecordQueue } from './record-queue.js';

/** What an ordered drain needs from its partition worker. */
export interface OrderedDrainHooks {
  /** Not stopped, paused or held for a rebalance. */
  mayRun(): boolean;
  /** Shutdown or revoke stopped the worker while a record ran. */
  stopped(): boolean;
  /** Epoch ms before which `message` must not be dispatched (retry topics); 0 for now. */
  dueAt(message: KafkaMessage): number;
  /** Runs one record through its handler; resolves true when it is settled. */
  dispatch(message: KafkaMessage): Promise<boolean>;
  /** `message`, first of the queue, is settled: release it, mark its offset done. */
  settled(message: KafkaMessage): void;
  /** Shutdown let the running record finish settled: its offset goes in the final commit (unless revoked). */
  settledWhileStopping(message: KafkaMessage): void;
  /** `message`, first of the queue, failed and stays: wait the redelivery backoff. */
  failed(message: KafkaMessage): Promise<void>;
  /** The first record is not due yet: the partition waits `delayMs` (fetch paused), others go on. */
  wait(delayMs: number): Promise<void>;
}

/**
 * The drain loop of a partition in `'partition'` concurrency mode: one record at a time, in offset
 * order; a failed record stays first in the queue and is delivered again after the redelivery
 * backoff, so nothing after it runs before it. Kept out of `PartitionWorker` (as `batch-drain.ts`
 * and `concurrent-drain.ts` are) so the worker only hooks it in.
 */
export class OrderedDrain {
  constructor(
    private readonly queue: RecordQueue,
    private readonly hooks: OrderedDrainHooks,
  ) {}

  async drain(): Promise<void> {
    while (this.hooks.mayRun() && this.queue.length > 0) {
      const message = this.queue.peek()!;
      // At most a minute at a time: the due time is read again, and a far-future or bogus header
      // cannot overflow the timer.
      const waitMs = Math.min(this.hooks.dueAt(message) - Date.now(), 60_000);
      if (waitMs > 0) {
        // Not due yet: the partition waits (fetch paused), other partitions go on.
        await this.hooks.wait(waitMs);
        continue;
      }
      const settled = await this.hooks.dispatch(message);
      if (this.hooks.stopped()) {
        // Shutdown let the running record finish: its offset goes in the final commit. A revoked
        // partition's record is not ours to commit (the new owner reads it again).
        if (settled) this.hooks.settledWhileStopping(message);
        return;
      }
      if (settled) {
        this.hooks.settled(message);
        continue;
      }
      await this.hooks.failed(message);
    }
  }
}
