import type { KafkaMessage } from 'kafkajs';
import { throwError, type Observable } from 'rxjs';
import { decodeHeaders, decodeKey, type DecodedHeaders } from '../serialization/deserializer.js';
import { KafkaPartitionContext, type PartitionControls } from './kafka-partition.context.js';

/** What the consumer group runner lets a batch handler do with its partition. Internal. */
export interface BatchControls extends PartitionControls {
  /** Manual commit of every record of the batch. */
  commit(): Promise<void>;
}

type BatchContextArgs = [messages: readonly KafkaMessage[], topic: string, partition: number, groupId: string];

/**
 * Context of a batch handler (`@ConsumeTopic(topic, { batch })`), injected with `@Ctx()`: the
 * records of one partition, in offset order, that the handler receives as an array of payloads.
 * Index `i` of `offsets`, `keys`, `headers` and `messages` is payload `i`.
 */
export class KafkaBatchContext extends KafkaPartitionContext<BatchContextArgs, BatchControls> {
  private decodedHeaders?: DecodedHeaders[];

  /** Raw kafkajs messages of the batch: key, value and header values as Buffers. */
  get messages(): readonly KafkaMessage[] {
    return this.args[0];
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

  /** @internal What the handler or its pipes threw, as caught inside Nest's pipeline (before any exception filter). */
  failure: { readonly error: unknown } | undefined;

  /** @internal Keeps `error` as the batch's failure and rethrows it. */
  fail(error: unknown): Observable<never> {
    this.failure = { error };
    return throwError(() => error);
  }

  /**
   * Commits the whole batch (stores `lastOffset + 1`): every record of it counts as processed,
   * even if the handler throws afterwards. Resolves once the offset is stored; when the partition
   * was revoked it resolves without committing. The way to commit with `commit: 'manual'`.
   */
  commit(): Promise<void> {
    return this.controls.commit();
  }
}
