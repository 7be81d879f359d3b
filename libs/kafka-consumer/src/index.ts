export { KafkaConsumerModule } from './kafka-consumer.module.js';
export { KAFKA_CONSUMER_MODULE_OPTIONS } from './kafka-consumer.module-definition.js';
export { KAFKA_CONSUMER_TRANSPORT } from './kafka-consumer.constants.js';
export { ConsumeTopic, type ConsumeTopicPattern } from './decorators/consume-topic.decorator.js';
export { KafkaConsumerServer } from './server/kafka-consumer.server.js';
export { KafkaConsumerContext } from './context/kafka-consumer.context.js';
export { KafkaConsumerRegistry } from './kafka-consumer.registry.js';
export {
  PollingConsumer,
  type PollingConsumerOptions,
  type PollOptions,
  type PolledRecord,
} from './polling/polling-consumer.js';
export {
  OffsetStore,
  type ClaimedPartition,
  type OffsetStoreScope,
  type TopicPartition,
  type TopicPartitionOffset,
} from './offset-stores/offset-store.js';
export { KafkaOffsetStore } from './offset-stores/kafka.offset-store.js';
export {
  PostgresOffsetStore,
  type PostgresOffsetStoreOptions,
  type TransactionRecord,
} from './offset-stores/postgres.offset-store.js';
export { RedisOffsetStore, type RedisOffsetStoreOptions } from './offset-stores/redis.offset-store.js';
export { FileOffsetStore, type FileOffsetStoreOptions } from './offset-stores/file.offset-store.js';
export { KafkaConsumerError, InvalidOptionsError, DeserializationError, NonRetriableError } from './errors/index.js';
export { StaleOffsetWriteError, OffsetStoreUnavailableError, MissingDependencyError } from './errors/index.js';
export type {
  KafkaConsumerModuleOptions,
  ConsumeTopicOptions,
  CommitMode,
  DeserializerKind,
  RetryOptions,
  DeadLetterOptions,
  BackoffOptions,
} from './kafka-consumer.options.js';
export type { DecodedHeaders } from './serialization/deserializer.js';
export { ATTEMPTS_HEADER, DEAD_LETTER_HEADERS, RETRY_TOPIC_HEADERS } from './kafka-consumer.constants.js';
export { DeadLetterPublishError } from './errors/dead-letter-publish.error.js';
export { TopicTopologyError } from './errors/topic-topology.error.js';
export type { RetryTopicsOptions } from './kafka-consumer.options.js';
