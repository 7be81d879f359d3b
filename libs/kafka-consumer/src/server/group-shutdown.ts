import type { LoggerService } from '@nestjs/common';
import { describeError, finalCommitTimedOut, shutdownTimedOut } from '../kafka-consumer.messages.js';
import type { ConsumerGroupParts } from './consumer-group.wiring.js';
import { settlesWithin } from '../util/settles-within.js';

/** What the shutdown of one consumer group works on, besides its parts. */
export interface GroupShutdown {
  readonly groupId: string;
  readonly logger: LoggerService;
  /** Bounds waiting for a join in flight and for running handlers (`shutdownTimeoutMs`). */
  readonly timeoutMs: number;
  /** The running `start()`, if any. */
  readonly starting: Promise<void> | null;
  /** Stops the runner's timer that releases held workers when no join follows a rebalance. */
  cancelRebalanceHold(): void;
}

/** The final commit at shutdown gets at least this long, even when handlers used up shutdownTimeoutMs. */
const MIN_FINAL_COMMIT_MS = 1000;

/**
 * Leaves the group cleanly: stop fetching and dispatching, let running handlers finish (at most
 * `timeoutMs`, then their `ctx.signal` is aborted), commit what is done, then leave and disconnect.
 */
export async function shutDownGroup(parts: ConsumerGroupParts, shutdown: GroupShutdown): Promise<void> {
  const { partitions, kafka, committer } = parts;
  const { groupId, logger, timeoutMs } = shutdown;
  const deadline = Date.now() + timeoutMs;
  // A join in flight completes first, so the member leaves the group below instead of joining after it.
  if (shutdown.starting) await settlesWithin(shutdown.starting, timeoutMs);
  for (const worker of partitions.workers.values()) worker.stop();
  kafka.pause(parts.lifecycle.assigned());
  const running = [...partitions.workers.values()].filter((w) => w.busy);
  const timedOut = !(await settlesWithin(Promise.all(running.map((w) => w.idle())), deadline - Date.now()));
  if (timedOut) {
    logger.warn(shutdownTimedOut(groupId, timeoutMs, running.filter((w) => w.busy).length));
    for (const worker of running) worker.abortRunning();
  }
  committer.close();
  // Bounded by what remains of shutdownTimeoutMs (at least a second): a hung store cannot hold the exit (S10).
  const finalCommit = committer.flush().catch((error: unknown) => {
    logger.warn(`Group "${groupId}": final commit failed: ${describeError(error)}`);
  });
  if (!(await settlesWithin(finalCommit, Math.max(deadline - Date.now(), MIN_FINAL_COMMIT_MS)))) {
    logger.warn(finalCommitTimedOut(groupId, timeoutMs));
  }
  kafka.unlisten();
  shutdown.cancelRebalanceHold();
  parts.membership.wake();
  await kafka.disconnect();
  await parts.startOffsets?.close();
  parts.lifecycle.close();
  partitions.workers.clear();
  parts.observer.disconnected();
}
