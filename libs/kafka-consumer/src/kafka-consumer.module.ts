import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DeadLetterPublisher } from './dead-letter/dead-letter.publisher.js';
import { RecordOutcomeInterceptor } from './interceptors/record-outcome.interceptor.js';
import { FailureSettlement } from './retry/failure-settlement.js';
import { RetryInterceptor } from './interceptors/retry.interceptor.js';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS } from './kafka-consumer.constants.js';
import { ConfigurableModuleClass, KAFKA_CONSUMER_MODULE_OPTIONS } from './kafka-consumer.module-definition.js';
import { resolveModuleOptions, type ResolvedModuleOptions } from './kafka-consumer.options.js';
import { OffsetStore } from './offset-stores/offset-store.js';
import { OffsetStoreResolver } from './offset-stores/offset-store.resolver.js';
import { KafkaConsumerRegistry } from './kafka-consumer.registry.js';
import { KafkaConsumerServer } from './server/kafka-consumer.server.js';
import { ConsumerEventExplorer } from './observability/consumer-event.explorer.js';
import { KafkaConsumerHealthIndicator } from './observability/kafka-consumer.health-indicator.js';

/**
 * Kafka consumers for Nest: `KafkaConsumerModule.forRoot(options)` or `forRootAsync({ useFactory, inject, imports })`.
 * Global by default (`isGlobal: true`). Provides `KafkaConsumerServer` (the transport strategy),
 * `KafkaConsumerRegistry` and the configured `OffsetStore`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: KAFKA_CONSUMER_RESOLVED_OPTIONS,
      useFactory: (raw: unknown) => resolveModuleOptions(raw),
      inject: [KAFKA_CONSUMER_MODULE_OPTIONS],
    },
    OffsetStoreResolver,
    {
      provide: OffsetStore,
      useFactory: (options: ResolvedModuleOptions, stores: OffsetStoreResolver) => stores.resolve(options.offsetStore),
      inject: [KAFKA_CONSUMER_RESOLVED_OPTIONS, OffsetStoreResolver],
    },
    KafkaConsumerServer,
    KafkaConsumerRegistry,
    DeadLetterPublisher,
    FailureSettlement,
    RecordOutcomeInterceptor,
    RetryInterceptor,
    ConsumerEventExplorer,
    KafkaConsumerHealthIndicator,
  ],
  exports: [
    KafkaConsumerServer,
    KafkaConsumerRegistry,
    OffsetStore,
    KAFKA_CONSUMER_RESOLVED_OPTIONS,
    DeadLetterPublisher,
    FailureSettlement,
    RecordOutcomeInterceptor,
    RetryInterceptor,
    KafkaConsumerHealthIndicator,
  ],
})
export class KafkaConsumerModule extends ConfigurableModuleClass {}
