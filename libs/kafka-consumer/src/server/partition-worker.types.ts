// The contract between a partition worker and its consumer group runner: the host it calls, the
// limits it is given, its states and who may pause it.
import type { KafkaMessage } from 'kafkajs';
import type { ResolvedBatch } from '../options/batch.options.js';
import type { BufferBudget } from './buffer-budget.js';
import type { InFlightLimit } from './in-flight-limit.js';
import type { ConcurrencyMode } from './key-scheduler.js';
import type { PartitionWorker } from './partition-worker.js';

/** What a partition worker needs from its consumer group runner. */
export interface PartitionWorkerHost {
  /** Runs one record through its handler; resolves true when it is settled (processed or dead-lettered). */
  dispatch(worker: PartitionWorker, message: KafkaMessage): Promise<boolean>;
  /** Batch handlers: runs records as one batch; resolves to how many, from the first, are settled. */
  dispatchBatch?(worker: PartitionWorker, messages: KafkaMessage[]): Promise<number>;
  /** A record failed and will be delivered again after `delayMs`. */
  onRedelivery(worker: PartitionWorker, message: KafkaMessage, delayMs: number): void;
  setFetchPaused(worker: PartitionWorker, paused: boolean): void;
  /** Epoch ms before which `message` must not be dispatched (retry topics); 0 for now. */
  dueAt(worker: PartitionWorker, message: KafkaMessage): number;
  /** Offsets became committable. `idle`: the queue drained (end of batch). */
  onProgress(worker: PartitionWorker, idle: boolean): void;
  /** Fetching paused because `maxPendingRecords` records are processed but not committed (manual mode). */
  onPendingLimit?(worker: PartitionWorker): void;
}

/** Limits shared with, or set by, the consumer group. */
export interface PartitionWorkerLimits {
  /** The group's budget of buffered bytes. Default: unlimited. */
  readonly buffer?: BufferBudget;
  /** Records registered and not yet committable before fetching pauses. Default: unlimited. */
  readonly maxPendingRecords?: number;
  /**
   * `'key'` or `'unordered'`: records run concurrently, bounded by the handler's `limit` (shared by
   * its partitions). Default: one record at a time, in offset order.
   */
  readonly concurrency?: { readonly mode: ConcurrencyMode; readonly limit: InFlightLimit };
  /** Batch handler: records are dispatched in batches (`batch-drain.ts`). Default: one at a time. */
  readonly batch?: ResolvedBatch;
}

export type PartitionState = 'loading' | 'ready' | 'revoked';

/** Who paused a partition: its handler (`ctx.pause()`) or the registry (`KafkaConsumerRegistry.pause`). */
export type PauseSource = 'context' | 'registry';
