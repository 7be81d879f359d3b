// The competitor: Nest's built-in Kafka transport (@nestjs/microservices ServerKafka) with @EventPattern.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { benchEnv, Meter } from './common.js';

const env = benchEnv();
const meter = new Meter(env.count);

@Controller()
class OrdersController {
  @EventPattern(env.topic)
  handle(@Payload() order: unknown) {
    void (order as { id: number }).id;
    meter.record();
  }
}

@Module({ controllers: [OrdersController] })
class AppModule {}

const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
  transport: Transport.KAFKA,
  options: {
    client: { clientId: 'bench', brokers: env.brokers },
    consumer: { groupId: env.groupId, maxWaitTimeInMs: 500 },
    subscribe: { fromBeginning: true },
    postfixId: '',
  },
  logger: ['error'],
});
await app.listen();
const ms = await meter.done;
await app.close();
meter.report('@nestjs/microservices ServerKafka', ms);
