import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaConsumerServer } from 'nestjs-kafka-consumer';
import { AppModule } from './app.module.js';

/**
 * A hybrid app: the Kafka consumer (its transport strategy from DI) and an HTTP server for
 * operations, `GET /health` (terminus) and `GET /metrics` (prom-client), on HTTP_PORT (default 3000).
 */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, {
    logger: new ConsoleLogger({ json: process.env.LOG_FORMAT === 'json' }),
  });
  app.connectMicroservice({ strategy: app.get(KafkaConsumerServer) });
  app.enableShutdownHooks();
  // Bootstrap first, so @OnConsumerEvent listeners are subscribed before the groups join.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(Number(process.env.HTTP_PORT ?? 3000), process.env.HTTP_HOST ?? '127.0.0.1');
}

await bootstrap();
