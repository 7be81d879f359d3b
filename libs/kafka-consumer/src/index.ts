import './dual-package.guard.js';
export { KafkaConsumerModule } from './kafka-consumer.module.js';
export { KAFKA_CONSUMER_MODULE_OPTIONS } from './kafka-consumer.module-definition.js';
export { KAFKA_CONSUMER_TRANSPORT } from './kafka-consumer.constants.js';
export { ConsumeTopic, type ConsumeTopicPattern } from './decorators/consume-topic.decorator.js';
export { KafkaConsumerServer } from './server/kafka-consumer.server.js';
export { KafkaConsumerContext } from './context/kafka-consumer.context.js';
export { KafkaBatchContext } from './context/kafka-batch.context.js';
export { KafkaPartitionContext } from './context/kafka-partition.context.js';
export { BatchError } from './errors/batch.error.js';
export { KafkaConsumerRegistry } from './kafka-consumer.registry.js';
export {
  PollingConsumer,
  type PollingConsumerOptions,
  type PollOptions,
  type PolledRecord,
  type PauseTarget,
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
  type TransactionBatch,
} from './offset-stores/postgres.offset-store.js';
export { RedisOffsetStore, type RedisOffsetStoreOptions } from './offset-stores/redis.offset-store.js';
export { FileOffsetStore, type FileOffsetStoreOptions } from './offset-stores/file.offset-store.js';
export { KafkaConsumerError, InvalidOptionsError, DeserializationError, NonRetriableError } from './errors/index.js';
export { StaleOffsetWriteError, OffsetStoreUnavailableError, MissingDependencyError } from './errors/index.js';
export { OffsetStoreTimeoutError } from './errors/offset-store-timeout.error.js';
export { CommitFailedError, ConsumerCrashedError } from './errors/index.js';
export type {
  KafkaConsumerModuleOptions,
  ConsumeTopicOptions,
  CommitMode,
  DeserializerKind,
  DeserializerOption,
  MissingTopicsMode,
  RouteOption,
  UnroutedPolicy,
  RetryOptions,
  DeadLetterOptions,
  BackoffOptions,
} from './kafka-consumer.options.js';
export type { DecodedHeaders } from './serialization/deserializer.js';
export type { Deserializer, DeserializationContext } from './serialization/deserializer-class.js';
export {
  ATTEMPTS_HEADER,
  DEAD_LETTER_HEADERS,
  FORWARDED_BY_HEADER,
  RETRY_TOPIC_HEADERS,
} from './kafka-consumer.constants.js';
export { DeadLetterPublishError } from './errors/dead-letter-publish.error.js';
export { TopicTopologyError } from './errors/topic-topology.error.js';
export {
  BrokersUnreachableError,
  BrokerTlsError,
  BrokerAuthenticationError,
  MissingTopicError,
  TopicAuthorizationError,
  UnroutedRecordError,
} from './errors/index.js';
export type { RetryTopicsOptions } from './kafka-consumer.options.js';
export type { BatchOptions } from './kafka-consumer.options.js';
export type { ExhaustedPolicy, RefusedPolicy } from './kafka-consumer.options.js';
export type { RedactError } from './kafka-consumer.options.js';
export type { ConcurrencyMode, ConcurrencyOptions } from './kafka-consumer.options.js';
export { ConsumerControlError, type ConsumerControlFailure } from './errors/index.js';
export type { SeekTarget } from './control/consumer-group.control.js';
export type { PartitionLag } from './control/consumer-lag.js';
export type { ControlOptions } from './kafka-consumer.options.js';
export type { ReplayDeadLettersOptions, ReplayResult } from './dead-letter/dead-letter.replay.js';
export type { ReplayFilter } from './dead-letter/replay-filter.js';
export { REPLAYED_FROM_HEADER } from './kafka-consumer.constants.js';
export { OnConsumerEvent } from './decorators/on-consumer-event.decorator.js';
export {
  KafkaConsumerHealthIndicator,
  type KafkaConsumerHealthResult,
  type KafkaConsumerHealthDetails,
} from './observability/kafka-consumer.health-indicator.js';
export type {
  KafkaConsumerEvents,
  KafkaConsumerEventName,
  KafkaConsumerEventListener,
  KafkaConsumerStatus,
  BlockedPartition,
  BlockReason,
} from './observability/consumer-events.js';
export type { ConsumerHealth, GroupHealthDetails, BlockedPartitionDetails } from './observability/consumer-health.js';
export type {
  ObservabilityOptions,
  MetricsOptions,
  MetricsRegistry,
  CrashPolicyOptions,
} from './kafka-consumer.options.js';
