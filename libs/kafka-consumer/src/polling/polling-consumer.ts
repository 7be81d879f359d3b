import type { LoggerService } from '@nestjs/common';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { describeError, invalidOption } from '../kafka-consumer.messages.js';
import type { DeserializerKind } from '../kafka-consumer.options.js';
import type { TopicPartition } from '../offset-stores/offset-store.js';
import { decodeHeaders, decodeKey, deserializerFor, type DecodedHeaders } from '../serialization/deserializer.js';

/** Options of `KafkaConsumerRegistry.createPollingConsumer()`. */
export interface PollingConsumerOptions {
  /** Consumer group; required. */
  groupId: string;
  /** Topics to consume; at least one. */
  topics: string[];
  /** Start from the earliest offset when the group has no committed offset. Default false. */
  fromBeginning?: boolean;
  /** Value decoding. Default `'json'` (a value that is not JSON is returned with `error` set and `value` null). */
  deserializer?: DeserializerKind;
  /** Records buffered before fetching pauses. Default 1000. */
  maxBufferedMessages?: number;
  /** kafkajs consumer settings (groupId is taken from above). `maxWaitTimeInMs` defaults to 500. */
  consumer?: Partial<ConsumerConfig>;
}

/** One record returned by `poll()`. */
export interface PolledRecord<T = unknown> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T | null;
  headers: DecodedHeaders;
  timestamp: string;
  /** The raw kafkajs message. */
  message: KafkaMessage;
  /** Why `value` could not be decoded, if it could not. */
  error?: Error;
}

/** Options of one `poll()`. */
export interface PollOptions {
  /** How long to wait for the first record, in ms. Default 1000. */
  timeoutMs?: number;
  /** Most records returned. Default 500. */
  maxMessages?: number;
}

/**
 * The imperative consumer, for scripts and jobs: join a group, `poll()` what is available (or get
 * an empty array when the timeout passes), process it, then `commit()` explicitly. Nothing is
 * committed that `commit()` was not given (or, without arguments, that `poll()` did not return).
 * Records of partitions revoked by a rebalance are dropped from the buffer; their commits are skipped.
 */
export class PollingConsumer {
  private readonly consumer: Consumer;
  private readonly buffer: PolledRecord[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly assigned = new Set<string>();
  /** Highest offset taken into the buffer, per partition: kafkajs fetches kept partitions again after a rebalance. */
  private readonly bufferedUpTo = new Map<string, number>();
  /** Highest offset + 1 returned by `poll()`, per partition. */
  private readonly polledUpTo = new Map<string, { topic: string; partition: number; next: number }>();
  private paused = false;
  private state: 'new' | 'running' | 'closed' = 'new';

  constructor(
    kafka: Kafka,
    private readonly options: PollingConsumerOptions,
    private readonly logger?: LoggerService,
  ) {
    if (typeof options.groupId !== 'string' || options.groupId.trim() === '') {
      throw new InvalidOptionsError(invalidOption('groupId', options.groupId, 'a non-empty string'));
    }
    if (
      !Array.isArray(options.topics) ||
      options.topics.length === 0 ||
      options.topics.some((t) => typeof t !== 'string' || !t)
    ) {
      throw new InvalidOptionsError(invalidOption('topics', options.topics, 'a non-empty array of topic names'));
    }
    this.consumer = kafka.consumer({ maxWaitTimeInMs: 500, ...options.consumer, groupId: options.groupId });
  }

  /** Connects and joins the group; resolves after the first assignment. */
  async connect(): Promise<void> {
    if (this.state !== 'new')
      throw new Error(`PollingConsumer of group "${this.options.groupId}" was already connected`);
    this.state = 'running';
    const { consumer } = this;
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.onAssignment(event.payload.memberAssignment));
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Returns up to `maxMessages` records, waiting at most `timeoutMs` for the first; `[]` on timeout. */
  async poll({ timeoutMs = 1000, maxMessages = 500 }: PollOptions = {}): Promise<PolledRecord[]> {
    if (this.state !== 'running')
      throw new Error(`PollingConsumer of group "${this.options.groupId}" is not connected`);
    if (!(timeoutMs >= 0)) throw new InvalidOptionsError(invalidOption('timeoutMs', timeoutMs, 'a number >= 0'));
    if (!(maxMessages >= 1))
      throw new InvalidOptionsError(invalidOption('maxMessages', maxMessages, 'an integer >= 1'));
    if (this.buffer.length === 0 && timeoutMs > 0) await this.waitForRecords(timeoutMs);
    const records = this.buffer.splice(0, maxMessages);
    for (const record of records) {
      const key = `${record.topic}:${record.partition}`;
      const next = Number(record.offset) + 1;
      if ((this.polledUpTo.get(key)?.next ?? -1) < next) {
        this.polledUpTo.set(key, { topic: record.topic, partition: record.partition, next });
      }
    }
    this.resumeIfDrained();
    return records;
  }

  /**
   * Commits `records` (each partition up to its highest given offset + 1), or, without arguments,
   * everything `poll()` returned so far. Partitions no longer assigned are skipped.
   */
  async commit(records?: readonly Pick<PolledRecord, 'topic' | 'partition' | 'offset'>[]): Promise<void> {
    const offsets = new Map<string, { topic: string; partition: number; next: number }>();
    if (records) {
      for (const { topic, partition, offset } of records) {
        const key = `${topic}:${partition}`;
        const next = Number(offset) + 1;
        if ((offsets.get(key)?.next ?? -1) < next) offsets.set(key, { topic, partition, next });
      }
    } else {
      for (const [key, value] of this.polledUpTo) offsets.set(key, value);
    }
    const owned = [...offsets].filter(([key]) => this.assigned.has(key)).map(([, v]) => v);
    if (owned.length === 0) return;
    await this.consumer.commitOffsets(
      owned.map(({ topic, partition, next }) => ({ topic, partition, offset: String(next) })),
    );
  }

  /** Partitions currently assigned to this consumer. */
  assignment(): TopicPartition[] {
    return [...this.assigned].map((key) => {
      const at = key.lastIndexOf(':');
      return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
    });
  }

  /** Leaves the group and disconnects (nothing is committed implicitly). */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const wake of this.waiters) wake();
    await this.consumer.disconnect();
  }

  private async onBatch({ batch, resolveOffset, isStale }: EachBatchPayload): Promise<void> {
    const deserialize = deserializerFor(this.options.deserializer ?? 'json');
    let last: string | undefined;
    const key = `${batch.topic}:${batch.partition}`;
    for (const message of batch.messages) {
      if (isStale() || this.state !== 'running') break;
      last = message.offset;
      // Already buffered or returned: a re-fetch of a partition kept across a rebalance.
      if (Number(message.offset) <= (this.bufferedUpTo.get(key) ?? -1)) continue;
      this.bufferedUpTo.set(key, Number(message.offset));
      let value: unknown = null;
      let error: Error | undefined;
      try {
        value = deserialize(message.value, batch.topic, batch.partition, message.offset);
      } catch (cause) {
        error = cause as Error;
      }
      this.buffer.push({
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: decodeKey(message.key),
        value,
        headers: decodeHeaders(message.headers),
        timestamp: message.timestamp,
        message,
        error,
      });
    }
    if (last !== undefined) resolveOffset(last);
    if (this.buffer.length >= (this.options.maxBufferedMessages ?? 1000)) this.pauseAll();
    for (const wake of this.waiters) wake();
  }

  private onAssignment(memberAssignment: Record<string, number[]>): void {
    this.assigned.clear();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) this.assigned.add(`${topic}:${partition}`);
    }
    // Records of revoked partitions are the new owner's now.
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      const { topic, partition } = this.buffer[i];
      if (!this.assigned.has(`${topic}:${partition}`)) this.buffer.splice(i, 1);
    }
    for (const key of this.polledUpTo.keys()) if (!this.assigned.has(key)) this.polledUpTo.delete(key);
    // A revoked partition that comes back is read from its committed offset again.
    for (const key of this.bufferedUpTo.keys()) if (!this.assigned.has(key)) this.bufferedUpTo.delete(key);
    // kafkajs forgets pauses when it restarts after a crash: pause again if the buffer is full.
    if (this.paused) {
      this.paused = false;
      if (this.buffer.length >= (this.options.maxBufferedMessages ?? 1000)) this.pauseAll();
    }
  }

  private waitForRecords(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  private pauseAll(): void {
    if (this.paused) return;
    this.paused = true;
    this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
  }

  private resumeIfDrained(): void {
    if (!this.paused || this.buffer.length > (this.options.maxBufferedMessages ?? 1000) / 2) return;
    this.paused = false;
    try {
      this.consumer.resume(this.options.topics.map((topic) => ({ topic })));
    } catch (error) {
      this.logger?.warn(`PollingConsumer "${this.options.groupId}": resume failed: ${describeError(error)}`);
    }
  }
}
