// This package: @ConsumeTopic through Nest's pipeline, commit after processing.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload, type AsyncMicroserviceOptions } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule, KafkaConsumerServer } from 'nestjs-kafka-consumer';
import { benchEnv, Meter } from './common.js';

const env = benchEnv();
const meter = new Meter(env.count);

@Controller()
class OrdersController {
  @ConsumeTopic(env.topic, { groupId: env.groupId, fromBeginning: true })
  handle(@Payload() order: { id: number }) {
    void order.id;
    meter.record();
  }
}

@Module({
  imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'bench', brokers: env.brokers } })],
  controllers: [OrdersController],
})
class AppModule {}

const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(AppModule, {
  inject: [KafkaConsumerServer],
  useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
  logger: ['error'],
});
await app.listen();
const ms = await meter.done;
await app.close();
meter.report('nestjs-kafka-consumer @ConsumeTopic', ms);
