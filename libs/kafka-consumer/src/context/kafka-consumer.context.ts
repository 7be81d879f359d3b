import type { KafkaMessage } from 'kafkajs';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import { OutcomeSlot } from '../retry/record-outcome.js';
import type { RetryStage } from '../retry-topics/retry-topics.js';
import { decodeHeaders, decodeKey, type DecodedHeaders } from '../serialization/deserializer.js';
import { KafkaPartitionContext, type PartitionControls } from './kafka-partition.context.js';

/** What the consumer group runner lets a handler do with its partition (one per partition). Internal. */
export interface RecordControls extends PartitionControls {
  /** Manual commit of the record at `offset` (covering the earlier finished ones). */
  commit(offset: string): Promise<void>;
  /** The record was settled without the handler's own commit (dead-lettered, forwarded, passed over). */
  settled?(offset: string): void;
  /** An in-process retry of the record is due (tracing on: an event on its span). */
  retrying?(message: KafkaMessage, error: unknown, nextAttempt: number): void;
  /** Aborted when the partition is revoked or shutdown starts. Default: `signal`. */
  readonly stopping?: AbortSignal;
  /** The handler this record is dispatched to. */
  readonly handler: {
    readonly name: string;
    readonly options: ResolvedHandlerOptions;
    readonly retryStage?: RetryStage;
  };
}

type ContextArgs = [message: KafkaMessage, topic: string, partition: number, groupId: string];

/** Per-record context of a `@ConsumeTopic` handler; inject it with `@Ctx()`. */
export class KafkaConsumerContext extends KafkaPartitionContext<ContextArgs, RecordControls> {
  private decodedHeaders?: DecodedHeaders;
  private slot?: OutcomeSlot;

  /** @internal How often this record was delivered again after failing (0 on its first delivery). */
  readonly redeliveries: number;

  constructor(args: ContextArgs, controls: RecordControls, redeliveries = 0) {
    super(args, controls);
    // A field rather than a parameter property: stripInternal cannot strip parameter properties.
    this.redeliveries = redeliveries;
  }

  /** @internal What the package's interceptors concluded about this record (read by the handler invocation). */
  get outcomeSlot(): OutcomeSlot {
    return (this.slot ??= new OutcomeSlot());
  }

  /** Raw kafkajs message: key, value and header values as Buffers. */
  get message(): KafkaMessage {
    return this.args[0];
  }

  /** Offset of the record, as a string (Kafka offsets are 64-bit). */
  get offset(): string {
    return this.args[0].offset;
  }

  /** Record key decoded as UTF-8, null when the record has none (`message.key` keeps the Buffer). */
  get key(): string | null {
    return decodeKey(this.args[0].key);
  }

  /** Headers decoded as UTF-8 strings (`message.headers` keeps the Buffers). */
  get headers(): DecodedHeaders {
    return (this.decodedHeaders ??= decodeHeaders(this.args[0].headers));
  }

  /** Record timestamp in ms since the epoch, as a string (as kafkajs gives it). */
  get timestamp(): string {
    return this.args[0].timestamp;
  }

  /**
   * Commits this record's offset + 1, covering the earlier records of the partition, but never
   * past an earlier record that is still being processed. Resolves once the offset is stored.
   *
   * In `commit: 'manual'` mode this is also the commit of a whole batch: every earlier record that
   * finished without its own `commit()` is covered, so committing the last record of a batch
   * commits the batch. When the partition was revoked (or fenced off by the offset store) it
   * resolves without committing: the new owner processes the record again. When the store cannot
   * be written (an outage, a rebalance in progress) it logs a warning and resolves: the record
   * stays acknowledged and the next successful commit stores it, so a processed record is never
   * failed (retried, dead-lettered) because of its commit.
   */
  commit(): Promise<void> {
    return this.controls.commit(this.args[0].offset);
  }

  /**
   * @internal The record was settled without the handler's own commit (dead-lettered, forwarded to
   * a retry topic, passed over): with `commit: 'manual'` it counts as acknowledged by itself.
   */
  markSettled(): void {
    this.controls.settled?.(this.args[0].offset);
  }

  /** @internal An in-process retry is due after `error`; `nextAttempt` numbers it. */
  retrying(error: unknown, nextAttempt: number): void {
    this.controls.retrying?.(this.args[0], error, nextAttempt);
  }

  /** @internal Aborted when the partition is revoked or shutdown starts: no more retries or dead-letter writes. */
  get stopping(): AbortSignal {
    return this.controls.stopping ?? this.controls.signal;
  }

  /** @internal `Class.method` and resolved options of the handler (read by the interceptors). */
  get handler(): RecordControls['handler'] {
    return this.controls.handler;
  }

  // Aliases named as on Nest's `KafkaContext`, so handlers moved from @nestjs/microservices' Kafka
  // transport keep compiling. There is no `getConsumer()` / `getProducer()`: the consumer is shared by
  // the group and managed here (use `commit()`, `pause()`, `resume()`), dead-lettering produces.

  /** The raw kafkajs message; same as `message` (Nest's `KafkaContext#getMessage`). */
  getMessage(): KafkaMessage {
    return this.message;
  }

  /** Topic the record was read from; same as `topic` (Nest's `KafkaContext#getTopic`). */
  getTopic(): string {
    return this.topic;
  }

  /** Partition the record was read from; same as `partition` (Nest's `KafkaContext#getPartition`). */
  getPartition(): number {
    return this.partition;
  }

  /** A function sending a group heartbeat; same as `heartbeat` (Nest's `KafkaContext#getHeartbeat`). */
  getHeartbeat(): () => Promise<void> {
    return () => this.heartbeat();
  }
}
