import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import { KafkaConsumerServer } from 'nestjs-kafka-consumer';
import { AppModule } from './app.module.js';

/** A consumer-only worker: no HTTP server, the Kafka transport strategy comes from DI. */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(AppModule, {
    inject: [KafkaConsumerServer],
    useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
    logger: new ConsoleLogger({ json: process.env.LOG_FORMAT === 'json' }),
  });
  app.enableShutdownHooks();
  await app.listen();
}

await bootstrap();
