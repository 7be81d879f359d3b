import { Injectable, Logger } from '@nestjs/common';
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { DeadLetterPublishError } from '../errors/dead-letter-publish.error.js';
import {
  deadLettered,
  describeError,
  failureTopicDoesNotExist,
  failureTopicWriteFailed,
  forwardedToRetryTopic,
  notDeadLetteredAgain,
} from '../kafka-consumer.messages.js';
import { buildFailureHeaders, buildRetryTopicHeaders, type FailedRecord } from './dead-letter.headers.js';
import { routeFailure } from './failure-route.js';
import { ensureFailureTopics, type FailureTopicsPlan } from './failure-topology.js';

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

  /** Checks (or creates) the failure topics, then connects the producer when any handler needs it. */
  async start(kafka: Kafka, plan: FailureTopicsPlan): Promise<void> {
    this.deadLetterTopics = plan.deadLetterTopics;
    if (plan.requirements.length === 0) return;
    this.admin = kafka.admin();
    await this.admin.connect();
    const counts = await ensureFailureTopics(this.admin, plan.requirements);
    for (const [topic, count] of counts) this.partitionCounts.set(topic, count);
    this.producer = kafka.producer({ allowAutoTopicCreation: false, retry: PRODUCER_RETRY });
    await this.producer.connect();
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
    const route = routeFailure({
      topic,
      headers: message.headers,
      retriable,
      deadLetter,
      retryTopics,
      knownDeadLetterTopics: this.deadLetterTopics,
    });
    if (route.kind === 'none') {
      if (route.reason === 'dead-letter-record') this.logger.warn(notDeadLetteredAgain(topic, partition, offset));
      return false;
    }
    const record: FailedRecord = { topic, partition, groupId: ctx.groupId, message };
    const failure = {
      error,
      attempts: ctx.attempt,
      includeStackTrace: deadLetter ? deadLetter.includeStackTrace : false,
    };
    const headers =
      route.kind === 'retry-topic'
        ? buildRetryTopicHeaders(record, failure, Date.now() + route.delayMs)
        : buildFailureHeaders(record, failure);
    try {
      await this.send(route.topic, partition, message.key, message.value, headers);
    } catch (cause) {
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

  /** A record whose value could not be deserialized: to the dead-letter topic as raw bytes, no retries. */
  async recoverUndeserializable(ctx: KafkaConsumerContext, error: unknown): Promise<boolean> {
    try {
      return await this.recover(ctx, error, false);
    } catch (publishError) {
      this.logger.warn(describeError(publishError));
      return false;
    }
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
      await this.producer.send({ topic, acks: -1, messages: [{ key, value, headers, partition }] });
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
