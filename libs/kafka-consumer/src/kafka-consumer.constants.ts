/** Transport id of `KafkaConsumerServer`: `@ConsumeTopic` handlers are bound to this transport only. */
export const KAFKA_CONSUMER_TRANSPORT = Symbol.for('kafka-consumer:transport');

/** Injection token of the validated, defaults-applied module options. */
export const KAFKA_CONSUMER_RESOLVED_OPTIONS = 'kafka-consumer:resolved-options';

/** Metadata key holding the `ConsumeTopicOptions` of a handler method. */
export const CONSUME_TOPIC_METADATA = 'kafka-consumer:consume-topic';

/** Header with the number of attempts made before a record was dead-lettered. */
export const ATTEMPTS_HEADER = 'kafka_consumer-attempts';

/**
 * Header with the consumer group that forwarded a record to a retry topic, overwritten on every
 * forward: only that group processes the record there (several groups may share a retry topic).
 */
export const FORWARDED_BY_HEADER = 'kafka_consumer-forwarded-by';

/**
 * Headers added to a dead-lettered record (Spring Kafka's names, values as UTF-8 strings).
 * The `original-*` headers describe the record's first failure and are kept across retry topics.
 */
export const DEAD_LETTER_HEADERS = {
  originalTopic: 'kafka_dlt-original-topic',
  originalPartition: 'kafka_dlt-original-partition',
  originalOffset: 'kafka_dlt-original-offset',
  originalTimestamp: 'kafka_dlt-original-timestamp',
  originalTimestampType: 'kafka_dlt-original-timestamp-type',
  originalConsumerGroup: 'kafka_dlt-original-consumer-group',
  exceptionFqcn: 'kafka_dlt-exception-fqcn',
  exceptionCauseFqcn: 'kafka_dlt-exception-cause-fqcn',
  exceptionMessage: 'kafka_dlt-exception-message',
  exceptionStacktrace: 'kafka_dlt-exception-stacktrace',
} as const;

/** Headers of a record forwarded to a retry topic (Spring Kafka's names, values as UTF-8 strings). */
export const RETRY_TOPIC_HEADERS = {
  /** Number of the attempt the retry topic's consumer makes (the main topic's attempt is 1). */
  attempts: 'retry_topic-attempts',
  /** Epoch ms before which the record is not processed. */
  backoffTimestamp: 'retry_topic-backoff-timestamp',
  /** Timestamp of the record on the main topic, in epoch ms. */
  originalTimestamp: 'retry_topic-original-timestamp',
} as const;

/**
 * Header on a record `KafkaConsumerRegistry.replayDeadLetters` re-published to its original
 * topic: the dead-letter record it came from, as `<dead-letter topic>:<partition>:<offset>`.
 */
export const REPLAYED_FROM_HEADER = 'kafka_consumer-replayed-from';
/** Metadata key holding the `@OnConsumerEvent` subscriptions of a provider method. */
export const ON_CONSUMER_EVENT_METADATA = 'kafka-consumer:on-consumer-event';
