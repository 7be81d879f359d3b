export { KafkaConsumerError } from './kafka-consumer.error.js';
export { InvalidOptionsError } from './invalid-options.error.js';
export { DeserializationError } from './deserialization.error.js';
export { NonRetriableError } from './non-retriable.error.js';
export { StaleOffsetWriteError } from './stale-offset-write.error.js';
export { OffsetStoreUnavailableError } from './offset-store-unavailable.error.js';
export { MissingDependencyError } from './missing-dependency.error.js';
