import { BaseRpcContext } from '@nestjs/microservices';
import type { KafkaMessage } from 'kafkajs';
import { throwError, type Observable } from 'rxjs';
import { decodeHeaders, decodeKey, type DecodedHeaders } from '../serialization/deserializer.js';

/** What the consumer group runner lets a batch handler do with its partition. Internal. */
export interface BatchControls {
  /** Manual commit of every record of the batch. */
  commit(): Promise<void>;
  heartbeat(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Aborted when the partition is revoked, or at shutdown once shutdownTimeoutMs ran out. */
  readonly signal: AbortSignal;
}

type BatchContextArgs = [messages: readonly KafkaMessage[], topic: string, partition: number, groupId: string];

/**
 * Context of a batch handler (`@ConsumeTopic(topic, { batch })`), injected with `@Ctx()`: the
 * records of one partition, in offset order, that the handler receives as an array of payloads.
 * Index `i` of `offsets`, `keys`, `headers` and `messages` is payload `i`.
 */
export class KafkaBatchContext extends BaseRpcContext<BatchContextArgs> {
  private decodedHeaders?: DecodedHeaders[];
  private currentAttempt = 1;

  constructor(
    args: BatchContextArgs,
    private readonly controls: BatchControls,
  ) {
    super(args);
  }

  /** Raw kafkajs messages of the batch: key, value and header values as Buffers. */
  get messages(): readonly KafkaMessage[] {
    return this.args[0];
  }

  /** Topic the records were read from. */
  get topic(): string {
    return this.args[1];
  }

  /** Partition the records were read from (a batch never spans partitions). */
  get partition(): number {
    return this.args[2];
  }

  /** Consumer group processing the batch. */
  get groupId(): string {
    return this.args[3];
  }

  /** Number of records in the batch. */
  get size(): number {
    return this.args[0].length;
  }

  /** Offsets of the records, as strings (Kafka offsets are 64-bit). */
  get offsets(): string[] {
    return this.args[0].map((message) => message.offset);
  }

  /** Offset of the first record. */
  get firstOffset(): string {
    return this.args[0][0].offset;
  }

  /** Offset of the last record; a commit of the batch stores `lastOffset + 1`. */
  get lastOffset(): string {
    return this.args[0][this.args[0].length - 1].offset;
  }

  /** Record keys decoded as UTF-8 (null for a record without key). */
  get keys(): Array<string | null> {
    return this.args[0].map((message) => decodeKey(message.key));
  }

  /** Headers of each record decoded as UTF-8 strings. */
  get headers(): DecodedHeaders[] {
    return (this.decodedHeaders ??= this.args[0].map((message) => decodeHeaders(message.headers)));
  }

  /** 1-based number of the current attempt at this batch (in-process retry of a failed batch). */
  get attempt(): number {
    return this.currentAttempt;
  }

  /** @internal What the handler or its pipes threw, as caught inside Nest's pipeline (before any exception filter). */
  failure: { readonly error: unknown } | undefined;

  /** @internal Keeps `error` as the batch's failure and rethrows it. */
  fail(error: unknown): Observable<never> {
    this.failure = { error };
    return throwError(() => error);
  }

  /** @internal set before each attempt. */
  setAttempt(attempt: number): void {
    this.currentAttempt = attempt;
  }

  /**
   * Commits the whole batch (stores `lastOffset + 1`): every record of it counts as processed,
   * even if the handler throws afterwards. Resolves once the offset is stored; when the partition
   * was revoked it resolves without committing. The way to commit with `commit: 'manual'`.
   */
  commit(): Promise<void> {
    return this.controls.commit();
  }

  /** Sends a group heartbeat now (a long batch stays a member of the group without it: fetching is decoupled). */
  heartbeat(): Promise<void> {
    return this.controls.heartbeat();
  }

  /**
   * Aborted when the partition is revoked from this member, or when shutdown still waits for the
   * handler after `shutdownTimeoutMs`: pass it to long operations so they stop early.
   */
  get signal(): AbortSignal {
    return this.controls.signal;
  }

  /** Stops fetching this partition until `resume()`. */
  pause(): void {
    this.controls.pause();
  }

  /** Resumes fetching this partition. */
  resume(): void {
    this.controls.resume();
  }
}
