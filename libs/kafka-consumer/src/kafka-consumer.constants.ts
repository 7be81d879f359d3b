/** Transport id of `KafkaConsumerServer`: `@ConsumeTopic` handlers are bound to this transport only. */
export const KAFKA_CONSUMER_TRANSPORT = Symbol.for('kafka-consumer:transport');

/** Injection token of the validated, defaults-applied module options. */
export const KAFKA_CONSUMER_RESOLVED_OPTIONS = 'kafka-consumer:resolved-options';

/** Metadata key holding the `ConsumeTopicOptions` of a handler method. */
export const CONSUME_TOPIC_METADATA = 'kafka-consumer:consume-topic';

/** Header with the number of attempts made before a record was dead-lettered. */
export const ATTEMPTS_HEADER = 'kafka_consumer-attempts';
