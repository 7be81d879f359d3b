import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { TopicPartitionOffset } from '../offset-stores/offset-store.js';

/** kafkajs' single-attempt commit of one batch's payload: its consumer group's current offset manager, no retrier. */
export type CommitOnce = EachBatchPayload['commitOffsetsIfNecessary'];

/** Answers that end this member's generation: a join follows, and what it keeps is committed again then. */
const GENERATION_OVER = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'FENCED_INSTANCE_ID',
]);

/**
 * A commit was computed under a generation that ended before it was sent again. `type` makes it a
 * rebalance error for the committer (logged at debug level; the next join commits again).
 */
export class GenerationEndedError extends Error {
  readonly type = 'ILLEGAL_GENERATION';

  constructor(groupId: string, cause: unknown) {
    super(`Consumer group "${groupId}" rejoined while a commit was being retried: it is not sent again`, { cause });
    this.name = 'GenerationEndedError';
  }
}

export interface GroupCommitOptions {
  readonly groupId: string;
  /** Count of group joins seen by this member: a commit is never sent again once it changed. */
  readonly generation: () => number;
  /** Longest time one commit keeps retrying (the offset store's save timeout). */
  readonly deadlineMs: number;
  /** Waits before the next attempt (tests pass a fake). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Commits to the group's offsets in Kafka (D2). `consumer.commitOffsets()` goes through kafkajs'
 * retrier, and each of its attempts reads the generation and member id *at that attempt*: a commit
 * computed while this member owned a partition could be retried after a rejoin moved the partition,
 * and land under the new generation over its new owner's offset. Here each attempt is a single
 * request through the latest batch's `commitOffsetsIfNecessary` (the generation current when it is
 * sent), retried only while the join count this commit was computed under is still current.
 *
 * The latest batch's payload keeps its fetch response referenced until the next batch: one fetch
 * response per group. Before any batch of a run (a start, a restart after a crash) commits go
 * through `consumer.commitOffsets()`; there is nothing this member processed to commit then.
 */
export class KafkaGroupCommit {
  private commitOnce: CommitOnce | null = null;

  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** The payload of the batch kafkajs handed over last: its consumer group is the current one. */
  track(commitOnce: CommitOnce): void {
    this.commitOnce = commitOnce;
  }

  /** kafkajs crashed: its next run has a new consumer group (and the old one's commits cannot apply). */
  reset(): void {
    this.commitOnce = null;
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const plain = offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    const commitOnce = this.commitOnce;
    if (!commitOnce) {
      await this.consumer.commitOffsets(plain);
      return;
    }
    const generation = this.options.generation();
    const payload = { topics: byTopic(plain) };
    const deadline = Date.now() + this.options.deadlineMs;
    const wait = this.options.sleep ?? sleep;
    for (let attempt = 0; ; attempt++) {
      try {
        // The join count and kafkajs' offset manager change together (a join): read in one turn.
        await (this.commitOnce ?? commitOnce)(payload);
        return;
      } catch (error) {
        const delayMs = Math.min(100 * 2 ** attempt, 2_000);
        if (!isRetriable(error) || Date.now() + delayMs >= deadline) throw error;
        await wait(delayMs);
        if (this.options.generation() !== generation || !this.commitOnce) {
          throw new GenerationEndedError(this.options.groupId, error);
        }
      }
    }
  }
}

function byTopic(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>) {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) {
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = []));
    partitions.push({ partition, offset });
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}

/** A kafkajs error worth a new attempt under the same generation (a timeout, a broken connection, a coordinator loading). */
function isRetriable(error: unknown): boolean {
  const e = error as { name?: unknown; type?: unknown; retriable?: unknown } | null;
  if (!e || typeof e.name !== 'string' || !e.name.startsWith('KafkaJS')) return false;
  if (typeof e.type === 'string' && GENERATION_OVER.has(e.type)) return false;
  return e.retriable !== false;
}
