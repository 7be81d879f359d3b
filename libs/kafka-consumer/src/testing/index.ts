import { ModuleRef } from '@nestjs/core';
import '../dual-package.guard.js';
import type { INestMicroservice } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { DeadLetterPublisher } from '../dead-letter/dead-letter.publisher.js';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS } from '../kafka-consumer.constants.js';
import type { ResolvedModuleOptions } from '../kafka-consumer.options.js';
import { FailureSettlement } from '../retry/failure-settlement.js';
import { KafkaConsumerTestingServer } from './kafka-consumer.testing-server.js';

export { KafkaConsumerTestingServer, type DispatchResult, type TestRecord } from './kafka-consumer.testing-server.js';
export type { CapturedDeadLetter } from './captured-dead-letters.js';
export type { RecordOutcome, RedeliverReason, SkipReason } from '../retry/record-outcome.js';

/** A Nest microservice on the broker-free testing transport. */
export interface KafkaConsumerTestingApp {
  app: INestMicroservice;
  server: KafkaConsumerTestingServer;
  /** Runs one record through the handler of `topic`; see `KafkaConsumerTestingServer.dispatch`. */
  dispatch: KafkaConsumerTestingServer['dispatch'];
  /** Records the handlers dead-lettered or forwarded to retry topics. */
  deadLetters: KafkaConsumerTestingServer['deadLetters'];
  close(): Promise<void>;
}

/**
 * Starts the app of a compiled `TestingModule` (which imports `KafkaConsumerModule`) on the
 * testing transport: no broker, same handlers, same pipeline.
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
 * const kafka = await createKafkaConsumerTestingApp(moduleRef);
 * expect((await kafka.dispatch('orders', { value: { id: 1 } }, 'billing')).status).toBe('processed');
 * await kafka.close();
 * ```
 */
export async function createKafkaConsumerTestingApp(moduleRef: TestingModule): Promise<KafkaConsumerTestingApp> {
  const server = new KafkaConsumerTestingServer(
    moduleRef.get<ResolvedModuleOptions>(KAFKA_CONSUMER_RESOLVED_OPTIONS, { strict: false }),
    moduleRef.get(DeadLetterPublisher, { strict: false }),
    moduleRef.get(FailureSettlement, { strict: false }),
    moduleRef.get(ModuleRef),
  );
  const app = moduleRef.createNestMicroservice({ strategy: server });
  await app.listen();
  return {
    app,
    server,
    dispatch: (topic, record, groupId) => server.dispatch(topic, record, groupId),
    deadLetters: server.deadLetters,
    close: () => app.close(),
  };
}
