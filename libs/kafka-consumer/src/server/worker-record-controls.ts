import type { LoggerService } from '@nestjs/common';
import type { RecordControls } from '../context/kafka-consumer.context.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { commitFailed } from '../kafka-consumer.messages.js';
import { isRebalanceError, type OffsetCommitter } from './offset-committer.js';
import type { PartitionWorker } from './partition-worker.js';
import type { GroupHandler } from './record-dispatcher.js';

/** What a partition worker's record controls reach in its group: shared by the record and batch dispatchers. */
export interface WorkerRecordControlsOptions {
  readonly groupId: string;
  readonly committer: OffsetCommitter;
  readonly logger: LoggerService;
  /** The heartbeat of the last kafkajs batch (ctx.heartbeat()). */
  readonly heartbeat: () => (() => Promise<void>) | null;
}

/**
 * The controls behind `ctx.commit()`, `ctx.heartbeat()`, `ctx.pause()` and `ctx.resume()` of the
 * records `worker` dispatches to `handler`. A commit on a revoked partition does nothing; a fenced
 * offset write (`StaleOffsetWriteError`) reaches the handler; any other commit failure is logged
 * and retried on the commit interval.
 */
export function workerRecordControls(
  worker: PartitionWorker,
  handler: GroupHandler,
  options: WorkerRecordControlsOptions,
): RecordControls {
  const { committer } = options;
  return {
    signal: worker.signal,
    stopping: worker.stopSignal,
    handler,
    commit: async (offset) => {
      if (worker.state === 'revoked') return;
      worker.acknowledge(Number(offset));
      try {
        await committer.flush();
      } catch (error) {
        if (error instanceof StaleOffsetWriteError) throw error;
        // The acknowledgement stands and the next successful commit stores it; failing the record
        // here would run a handler that already succeeded again (retry, dead-letter).
        options.logger.warn(commitFailed(options.groupId, error));
        committer.scheduleInterval();
      }
    },
    heartbeat: async () => {
      try {
        await options.heartbeat()?.();
      } catch (error) {
        if (!isRebalanceError(error)) throw error;
      }
    },
    pause: () => worker.pause(),
    resume: () => worker.resume(),
    settled: (offset) => worker.markSettled(Number(offset)),
  };
}
