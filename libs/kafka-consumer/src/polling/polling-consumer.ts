import type { LoggerService } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { ConsumerCrashedError } from '../errors/consumer-crashed.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import {
  invalidOption,
  pollingConsumerAlreadyStarted,
  pollingConsumerNotRunning,
  pollingPartitionNotAssigned,
} from '../kafka-consumer.messages.js';
import { DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS } from '../kafka-consumer.options.js';
import type { OffsetStore, TopicPartition } from '../offset-stores/offset-store.js';
import { deserializerFor } from '../serialization/deserializer.js';
import { KafkaGroupCommit } from '../server/group-commit.js';
import { PollingAssignment, type CommitCandidate } from './polling-assignment.js';
import {
  DEFAULT_MAX_BUFFERED_MESSAGES,
  resolvePollOptions,
  validatePollingOptions,
  validateTopics,
  type PollingConsumerOptions,
  type PollOptions,
} from './polling-consumer.options.js';
import { PollingFetcher } from './polling-fetcher.js';
import { PollingKafkaAdapter } from './polling-kafka.adapter.js';
import { settlesWithin } from '../util/settles-within.js';
import { PollingOffsets, type PollingOffsetsHost } from './polling-offsets.js';
import type { PauseTarget } from './pause-targets.js';
import type { PolledRecord } from './polled-record.js';

export type { PollingConsumerOptions, PollOptions } from './polling-consumer.options.js';
export type { PolledRecord } from './polled-record.js';
export type { PauseTarget } from './pause-targets.js';

type State = 'new' | 'connecting' | 'connected' | 'running' | 'closed';

/** How long `close()` lets a join in flight finish before it disconnects anyway. */
const JOIN_WAIT_ON_CLOSE_MS = 30_000;

/** What the registry gives a polling consumer besides its options. */
export interface PollingConsumerContext {
  readonly logger?: LoggerService;
  /** The consumer's offset store, connected. */
  readonly resolveStore: () => Promise<OffsetStore>;
  /** Longest wait for one store `save()` / `load()`. Default 10000 (the module's `offsetStoreSaveTimeoutMs`). */
  readonly saveTimeoutMs?: number;
}

/**
 * The imperative consumer, for scripts and jobs, after the poll model of Kafka's Java consumer:
 * `connect()`, `subscribe(topics)`, then a loop of `poll()` (an empty array when the timeout
 * passes), processing, and `commit()`; `seek()` back to a failed record, `pause()` / `resume()`,
 * and `close()` to leave the group. Offsets go through the same `OffsetStore` as handlers (Kafka
 * by default; PostgreSQL, Redis, file or your own): a newly assigned partition is claimed and
 * positioned at its stored offset before any of its records is returned. Nothing is committed
 * that `commit()` was not given (or, without arguments, that `poll()` did not return).
 */
export class PollingConsumer {
  private readonly kafka: PollingKafkaAdapter;
  private readonly fetcher: PollingFetcher;
  private offsets: PollingOffsets | null = null;
  private state: State = 'new';
  private closing: Promise<void> | null = null;
  /** `subscribe()`'s join (kafkajs `run`): `close()` lets it finish so the member then leaves the group. */
  private joining: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly options: PollingConsumerOptions,
    private readonly context: PollingConsumerContext,
  ) {
    validatePollingOptions(options);
    this.kafka = new PollingKafkaAdapter(kafka, { ...options.consumer, groupId: options.groupId }, context.logger);
    this.fetcher = new PollingFetcher({
      groupId: options.groupId,
      kafka: this.kafka,
      deserialize: deserializerFor(options.deserializer ?? 'json'),
      maxBufferedMessages: options.maxBufferedMessages ?? DEFAULT_MAX_BUFFERED_MESSAGES,
      logger: context.logger,
      isRunning: () => this.state === 'running',
      claim: (owners) => void this.offsets!.claim(owners),
    });
  }

  private get groupId(): string {
    return this.options.groupId;
  }

  /**
   * Connects the offset store (once per store) and the Kafka consumer. With `topics` given at
   * creation it also subscribes to them (see `subscribe`).
   */
  async connect(): Promise<void> {
    if (this.state !== 'new') throw new Error(pollingConsumerAlreadyStarted(this.groupId, 'connected'));
    this.state = 'connecting';
    try {
      const store = await this.context.resolveStore();
      this.fetcher.partitions = new PollingAssignment(!store.usesKafkaGroupOffsets);
      const saveTimeoutMs = this.context.saveTimeoutMs ?? DEFAULT_OFFSET_STORE_SAVE_TIMEOUT_MS;
      const scope = this.kafka.scope(this.groupId);
      const groupCommit = new KafkaGroupCommit(scope.consumer, {
        groupId: this.groupId,
        generation: () => this.fetcher.partitions.generation,
        deadlineMs: saveTimeoutMs,
      });
      this.fetcher.groupCommit = groupCommit;
      this.offsets = new PollingOffsets(
        store,
        { ...scope, commitOffsets: (offsets) => groupCommit.commit(offsets) },
        this.offsetsHost(),
        saveTimeoutMs,
      );
      await this.kafka.connect(this.fetcher.events());
    } catch (error) {
      if (this.state === 'connecting') this.state = 'new';
      throw error;
    }
    // close() while connecting: it disconnected already.
    if (this.state !== 'connecting') return;
    this.state = 'connected';
    if (this.options.topics) await this.subscribe(this.options.topics);
  }

  /**
   * Subscribes to `topics` and joins the group (once per consumer: kafkajs cannot change a
   * subscription). Resolves once the consumer runs; partitions arrive with the first join
   * (see `assignment()`), and `poll()` waits for their records.
   */
  async subscribe(topics: string[]): Promise<void> {
    validateTopics(topics);
    if (this.state !== 'connected') {
      throw new Error(
        this.state === 'running'
          ? pollingConsumerAlreadyStarted(this.groupId, 'subscribed')
          : pollingConsumerNotRunning(this.groupId, this.describeState()),
      );
    }
    this.state = 'running';
    const joining = this.kafka.run(topics, this.options.fromBeginning ?? false);
    this.joining = joining;
    try {
      await joining;
    } catch (error) {
      if (this.state === 'running') this.state = 'connected';
      throw error;
    }
  }

  /**
   * Returns up to `maxMessages` records, waiting at most `timeoutMs` for the first; `[]` on
   * timeout or when the consumer is closed meanwhile. Rejects with `ConsumerCrashedError` once the
   * Kafka consumer has stopped for good.
   */
  async poll(options?: PollOptions): Promise<PolledRecord[]> {
    const { timeoutMs, maxMessages } = resolvePollOptions(options);
    this.assertRunning();
    const deadline = Date.now() + timeoutMs;
    const { fetcher } = this;
    let records = fetcher.take(maxMessages);
    while (records.length === 0 && this.state === 'running' && !fetcher.crash) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await fetcher.records.wait(remaining);
      records = fetcher.take(maxMessages);
    }
    if (fetcher.crash) throw new ConsumerCrashedError(this.groupId, fetcher.crash.error);
    return records;
  }

  /**
   * Stores `records`' offsets (each partition up to its highest given offset + 1) or, without
   * arguments, everything `poll()` returned so far (after a `seek`, up to the seek target).
   * Through the consumer's `OffsetStore`; commits run one at a time, and a partition's stored
   * offset never decreases. Records polled under an earlier assignment of their partition (it
   * moved away and came back, or this member rejoined) are ignored: their new owner decides.
   *
   * Rejects with `CommitFailedError` when the group rebalanced before the commit completed and
   * some of these partitions were revoked (or the store fenced them off): their records are
   * delivered again. Partitions this consumer kept are committed under the new generation.
   */
  async commit(records?: readonly CommitCandidate[]): Promise<void> {
    this.assertRunning();
    await this.offsets!.commit(records);
  }

  /**
   * Moves the partition's position to `offset`: the next `poll()` returns records from there
   * (buffered records of the partition are dropped), and `commit()` without arguments stores
   * `offset` for it (it never moves a stored offset back). Use it to retry a failed record.
   */
  seek(topic: string, partition: number, offset: string | number): void {
    this.assertRunning();
    const owner = this.fetcher.partitions.get(topic, partition);
    if (!owner || owner.status !== 'ready') {
      throw new Error(pollingPartitionNotAssigned(this.groupId, topic, partition));
    }
    const target = typeof offset === 'string' && offset.trim() === '' ? Number.NaN : Number(offset);
    if (!Number.isSafeInteger(target) || target < 0) {
      throw new InvalidOptionsError(invalidOption('offset', offset, 'an integer >= 0'));
    }
    this.fetcher.seek(owner, target);
  }

  /**
   * Stops returning and fetching records of these topics or partitions until `resume()`; pauses
   * survive rebalances. Their buffered records are dropped and fetched again after `resume()`.
   */
  pause(targets: readonly PauseTarget[]): void {
    this.assertRunning();
    this.fetcher.pause(targets);
  }

  /** Resumes topics or partitions paused by `pause()`. */
  resume(targets: readonly PauseTarget[]): void {
    this.assertRunning();
    this.fetcher.resume(targets);
  }

  /** Assigned partitions paused by `pause()`. */
  paused(): TopicPartition[] {
    return this.fetcher.paused();
  }

  /** Partitions currently assigned to this consumer. */
  assignment(): TopicPartition[] {
    return this.fetcher.assignment();
  }

  /** Leaves the group and disconnects; nothing is committed implicitly. A pending `poll()` resolves `[]`. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private offsetsHost(): PollingOffsetsHost {
    const { fetcher } = this;
    return {
      groupId: this.groupId,
      partitions: fetcher.partitions,
      logger: this.context.logger,
      isRunning: () => this.state === 'running',
      assertRunning: () => this.assertRunning(),
      crashError: () => fetcher.crash,
      isRejoinPending: () => fetcher.rejoinPending,
      joins: fetcher.joins,
      joinTimeoutMs: Math.max(
        this.options.consumer?.rebalanceTimeout ?? 60_000,
        this.options.consumer?.sessionTimeout ?? 30_000,
      ),
      seek: (owner, offset) => fetcher.seekTo(owner, offset),
      syncFetch: () => fetcher.syncFetch(),
      onFenced: (owners) => fetcher.fence(owners),
    };
  }

  private assertRunning(): void {
    const { crash } = this.fetcher;
    if (crash) throw new ConsumerCrashedError(this.groupId, crash.error);
    if (this.state !== 'running') throw new Error(pollingConsumerNotRunning(this.groupId, this.describeState()));
  }

  private describeState(): string {
    if (this.state === 'closed') return 'closed';
    if (this.state === 'connected') return 'not subscribed to any topic';
    return 'not connected';
  }

  private async closeNow(): Promise<void> {
    const connected = this.state !== 'new';
    this.state = 'closed';
    this.fetcher.clear();
    // A join in flight completes first (bounded): kafkajs sends no LeaveGroup for a member that is
    // still joining, so it would stay listed in the group until its session timeout.
    if (this.joining) await settlesWithin(this.joining, JOIN_WAIT_ON_CLOSE_MS);
    if (connected) await this.kafka.disconnect();
  }
}
