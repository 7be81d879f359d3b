// This package: @ConsumeTopic through Nest's pipeline with a slow handler, default options.
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic } from 'nestjs-kafka-consumer';
import { benchEnv, Meter, slowWork, startConsumerApp } from '../scenarios/common.js';

const env = benchEnv();
const meter = new Meter(env.count);

@Controller()
class OrdersController {
  @ConsumeTopic(env.topic, { groupId: env.groupId, fromBeginning: true, deserializer: 'buffer' })
  async handle(@Payload() value: Buffer) {
    await slowWork(value, env.handlerMs);
    meter.record();
  }
}

const app = await startConsumerApp([OrdersController], env.brokers);
const ms = await meter.done;
await meter.measureRetained();
await app.close();
meter.report('nestjs-kafka-consumer @ConsumeTopic', ms);
