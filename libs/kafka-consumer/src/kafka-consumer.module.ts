import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DeadLetterPublisher } from './dead-letter/dead-letter.publisher.js';
import { CommitInterceptor } from './interceptors/commit.interceptor.js';
import { DeadLetterInterceptor } from './interceptors/dead-letter.interceptor.js';
import { RetryInterceptor } from './interceptors/retry.interceptor.js';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS } from './kafka-consumer.constants.js';
import { ConfigurableModuleClass, KAFKA_CONSUMER_MODULE_OPTIONS } from './kafka-consumer.module-definition.js';
import { resolveModuleOptions, type ResolvedModuleOptions } from './kafka-consumer.options.js';
import { KafkaOffsetStore } from './offset-stores/kafka.offset-store.js';
import { OffsetStore } from './offset-stores/offset-store.js';
import { KafkaConsumerRegistry } from './kafka-consumer.registry.js';
import { KafkaConsumerServer } from './server/kafka-consumer.server.js';

/**
 * Kafka consumers for Nest: `KafkaConsumerModule.forRoot(options)` or `forRootAsync({ useFactory, inject, imports })`.
 * Global by default (`isGlobal: true`). Provides `KafkaConsumerServer` (the transport strategy),
 * `KafkaConsumerRegistry` and the configured `OffsetStore`.
 */
@Module({
  providers: [
    {
      provide: KAFKA_CONSUMER_RESOLVED_OPTIONS,
      useFactory: (raw: unknown) => resolveModuleOptions(raw),
      inject: [KAFKA_CONSUMER_MODULE_OPTIONS],
    },
    {
      provide: OffsetStore,
      useFactory: async (options: ResolvedModuleOptions, moduleRef: ModuleRef) => {
        const type = options.offsetStore ?? KafkaOffsetStore;
        try {
          return moduleRef.get(type, { strict: false });
        } catch {
          return moduleRef.create(type);
        }
      },
      inject: [KAFKA_CONSUMER_RESOLVED_OPTIONS, ModuleRef],
    },
    KafkaConsumerServer,
    KafkaConsumerRegistry,
    CommitInterceptor,
    DeadLetterPublisher,
    DeadLetterInterceptor,
    RetryInterceptor,
  ],
  exports: [
    KafkaConsumerServer,
    KafkaConsumerRegistry,
    OffsetStore,
    KAFKA_CONSUMER_RESOLVED_OPTIONS,
    CommitInterceptor,
    DeadLetterPublisher,
    DeadLetterInterceptor,
    RetryInterceptor,
  ],
})
export class KafkaConsumerModule extends ConfigurableModuleClass {}
