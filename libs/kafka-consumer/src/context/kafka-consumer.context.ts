import { BaseRpcContext } from '@nestjs/microservices';
import type { KafkaMessage } from 'kafkajs';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import { decodeHeaders, decodeKey, type DecodedHeaders } from '../serialization/deserializer.js';

/** What the consumer group runner lets a handler do with its partition (one per partition). Internal. */
export interface RecordControls {
  /** Manual commit of the record at `offset` (covering the earlier finished ones). */
  commit(offset: string): Promise<void>;
  heartbeat(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Aborted when the partition is revoked or the consumer shuts down. */
  readonly signal: AbortSignal;
  /** The handler this record is dispatched to. */
  readonly handler: { readonly name: string; readonly options: ResolvedHandlerOptions };
}

type ContextArgs = [message: KafkaMessage, topic: string, partition: number, groupId: string];

/** Per-record context of a `@ConsumeTopic` handler; inject it with `@Ctx()`. */
export class KafkaConsumerContext extends BaseRpcContext<ContextArgs> {
  private decodedHeaders?: DecodedHeaders;
  private currentAttempt = 1;

  constructor(
    args: ContextArgs,
    private readonly controls: RecordControls,
  ) {
    super(args);
  }

  /** Raw kafkajs message: key, value and header values as Buffers. */
  get message(): KafkaMessage {
    return this.args[0];
  }

  /** Topic the record was read from. */
  get topic(): string {
    return this.args[1];
  }

  /** Partition the record was read from. */
  get partition(): number {
    return this.args[2];
  }

  /** Consumer group processing the record. */
  get groupId(): string {
    return this.args[3];
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

  /** 1-based number of the current processing attempt of this record. */
  get attempt(): number {
    return this.currentAttempt;
  }

  /** @internal set by the retry interceptor before each attempt. */
  setAttempt(attempt: number): void {
    this.currentAttempt = attempt;
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

  /** Sends a group heartbeat now (long handlers stay members of the group without it: fetching is decoupled). */
  heartbeat(): Promise<void> {
    return this.controls.heartbeat();
  }

  /**
   * Aborted when this record's partition is revoked from this member or the consumer shuts down:
   * pass it to long operations so they stop early (the record is then not committed).
   */
  get signal(): AbortSignal {
    return this.controls.signal;
  }

  /** @internal `Class.method` and resolved options of the handler (read by the interceptors). */
  get handler(): RecordControls['handler'] {
    return this.controls.handler;
  }

  /** Stops fetching this record's partition until `resume()`. */
  pause(): void {
    this.controls.pause();
  }

  /** Resumes fetching this record's partition. */
  resume(): void {
    this.controls.resume();
  }
}
