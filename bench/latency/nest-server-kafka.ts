// The competitor: Nest's built-in Kafka transport (@nestjs/microservices ServerKafka) with @EventPattern.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { LatencyRecorder, type LatencyRecord } from './recorder.js';

const recorder = new LatencyRecorder();
const { env } = recorder;

@Controller()
class EventsController {
  @EventPattern(env.topic)
  handle(@Payload() value: unknown) {
    recorder.record(value as LatencyRecord);
  }
}

@Module({ controllers: [EventsController] })
class AppModule {}

const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
  transport: Transport.KAFKA,
  options: {
    client: { clientId: 'bench', brokers: env.brokers, logLevel: 1 },
    consumer: { groupId: env.groupId, maxWaitTimeInMs: 500 },
    subscribe: { fromBeginning: true },
    postfixId: '',
  },
  logger: ['error'],
});
await app.listen();
await recorder.done;
await app.close();
recorder.report('@nestjs/microservices ServerKafka');
