import type { INestMicroservice, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { KafkaConsumerServer } from 'nestjs-kafka-consumer';

/** A consumer-only Nest microservice built from `metadata`, listening on the Kafka transport. */
export interface ConsumerApp {
  app: INestMicroservice;
  server: KafkaConsumerServer;
  close(): Promise<void>;
}

export async function startConsumerApp(metadata: ModuleMetadata): Promise<ConsumerApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  moduleRef.useLogger(process.env.TEST_LOGS ? console : ['error']);
  const server = moduleRef.get(KafkaConsumerServer);
  const app = moduleRef.createNestMicroservice({ strategy: server });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  try {
    await app.listen();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { app, server, close };
}
