export { KafkaConsumerError } from './kafka-consumer.error.js';
export { InvalidOptionsError } from './invalid-options.error.js';
export { DeserializationError } from './deserialization.error.js';
export { NonRetriableError } from './non-retriable.error.js';
