import { Injectable, Logger } from '@nestjs/common';
import { CompressionTypes, type Admin, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DeadLetterPublishError } from '../errors/dead-letter-publish.error.js';
import {
  deadLettered,
  failureRecordTooLarge,
  failureTopicDoesNotExist,
  failureTopicWriteFailed,
  forwardedToRetryTopic,
  notDeadLetteredAgain,
} from '../kafka-consumer.messages.js';
import { redactedMessageOf } from '../messages/redacted-error-text.js';
import { buildFailureHeaders, buildRetryTopicHeaders, type FailedRecord } from './dead-letter.headers.js';
import { mainStage } from '../retry-topics/retry-topics.js';
import { routeFailure } from './failure-route.js';
import { ensureFailureTopics, type FailureTopicsPlan } from './failure-topology.js';
import type { RecordTracing } from '../observability/record-tracing.js';

/** True when the broker refused a write as larger than the topic's max.message.bytes (kafkajs wraps it in `cause`). */
function isMessageTooLarge(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    if ((e as { type?: unknown }).type === 'MESSAGE_TOO_LARGE') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Records above this size are written gzip-compressed: a record that fit its source topic only
 * compressed must fit its failure topic too (the broker checks the compressed batch size).
 */
const COMPRESS_ABOVE_BYTES = 64 * 1024;

function recordBytes(key: Buffer | null, value: Buffer | null, headers: IHeaders): number {
  let bytes = (key?.length ?? 0) + (value?.length ?? 0);
  for (const [name, header] of Object.entries(headers)) {
    for (const v of Array.isArray(header) ? header : [header]) {
      bytes += name.length + (v === undefined ? 0 : Buffer.byteLength(v));
    }
  }
  return bytes;
}

/** Failed writes are retried by redelivering the source record, so the producer gives up early. */
const PRODUCER_RETRY = { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 };

/**
 * Writes failed records to their dead-letter or retry topic with one shared producer (acks from
 * every in-sync replica). Started by `KafkaConsumerServer` at listen, after the startup topology
 * check, and closed after the consumer groups.
 */
@Injectable()
export class DeadLetterPublisher {
  private readonly logger = new Logger('KafkaConsumer');
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private readonly partitionCounts = new Map<string, number>();
  private deadLetterTopics: ReadonlySet<string> = new Set();
  /** The `tracing` option is on: written records carry the context of the failed record's span. */
  private tracing: RecordTracing | undefined;

  /** Checks (or creates) the failure topics, then connects the producer when any handler needs it. */
  async start(kafka: Kafka, plan: FailureTopicsPlan, tracing?: RecordTracing): Promise<void> {
    this.deadLetterTopics = plan.deadLetterTopics;
    this.tracing = tracing;
    if (plan.requirements.length === 0) return;
    this.admin = kafka.admin();
    await this.admin.connect();
    const counts = await ensureFailureTopics(this.admin, plan.requirements, (message) => this.logger.warn(message));
    for (const [topic, count] of counts) this.partitionCounts.set(topic, count);
    this.producer = kafka.producer({ allowAutoTopicCreation: false, retry: PRODUCER_RETRY });
    await this.producer.connect();
  }

  /** Dead-letter topics of this app's handlers (known once started). */
  get knownDeadLetterTopics(): ReadonlySet<string> {
    return this.deadLetterTopics;
  }

  async close(): Promise<void> {
    const { producer, admin } = this;
    this.producer = null;
    this.admin = null;
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }

  /**
   * Writes a record that finally failed on its current stage to its next retry topic or its
   * dead-letter topic. Resolves true once the write is acknowledged, false when the record has
   * nowhere to go (dead-lettering off, or it was read from a dead-letter topic); rejects with
   * `DeadLetterPublishError` when the write failed.
   */
  async recover(ctx: KafkaConsumerContext, error: unknown, retriable: boolean): Promise<boolean> {
    const { deadLetter, retryTopics } = ctx.handler.options;
    const { topic, partition, offset, message } = ctx;
    const stage = ctx.handler.retryStage ?? mainStage(topic);
    const route = routeFailure({
      topic,
      stage,
      retriable,
      deadLetter,
      retryTopics,
      knownDeadLetterTopics: this.deadLetterTopics,
    });
    if (route.kind === 'none') {
      if (route.reason === 'dead-letter-record') this.logger.warn(notDeadLetteredAgain(topic, partition, offset));
      return false;
    }
    const record: FailedRecord = { topic, partition, groupId: ctx.groupId, message, stage: stage.stage };
    const failure = {
      error,
      attempts: ctx.attempt,
      includeStackTrace: deadLetter ? deadLetter.includeStackTrace : false,
      redactedMessage: redactedMessageOf(error),
    };
    const headers =
      route.kind === 'retry-topic'
        ? buildRetryTopicHeaders(record, failure, Date.now() + route.delayMs)
        : buildFailureHeaders(record, failure);
    this.tracing?.inject(message, headers);
    try {
      await this.send(route.topic, partition, message.key, message.value, headers);
    } catch (cause) {
      if (isMessageTooLarge(cause)) this.logger.error(failureRecordTooLarge(route.topic, topic, partition, offset));
      throw new DeadLetterPublishError(
        failureTopicWriteFailed(route.topic, topic, partition, offset, cause),
        route.topic,
        topic,
        partition,
        offset,
        cause,
      );
    }
    if (route.kind === 'dead-letter') {
      this.logger.warn(deadLettered(topic, partition, offset, route.topic, ctx.attempt, error));
    } else {
      this.logger.debug(forwardedToRetryTopic(topic, partition, offset, route.topic, error));
    }
    return true;
  }

  private async send(
    topic: string,
    sourcePartition: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: IHeaders,
  ): Promise<void> {
    if (!this.producer) throw new Error('the dead-letter producer is not connected (the server is not listening)');
    const count = await this.partitionCount(topic);
    // Same partition number as the source when the topic has it, so a key keeps its partition.
    const partition = sourcePartition < count ? sourcePartition : undefined;
    try {
      const compression =
        recordBytes(key, value, headers) > COMPRESS_ABOVE_BYTES ? CompressionTypes.GZIP : CompressionTypes.None;
      await this.producer.send({ topic, acks: -1, compression, messages: [{ key, value, headers, partition }] });
    } catch (error) {
      this.partitionCounts.delete(topic);
      throw error;
    }
  }

  private async partitionCount(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached !== undefined) return cached;
    if (!this.admin) throw new Error('the dead-letter admin client is not connected');
    if (!(await this.admin.listTopics()).includes(topic)) throw new Error(failureTopicDoesNotExist(topic));
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    this.partitionCounts.set(topic, count);
    return count;
  }
}
