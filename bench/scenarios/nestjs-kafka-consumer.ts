// This package: @ConsumeTopic through Nest's pipeline, commit after processing.
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic } from 'nestjs-kafka-consumer';
import { benchEnv, Meter, startConsumerApp } from './common.js';

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

const app = await startConsumerApp([OrdersController], env.brokers);
const ms = await meter.done;
await app.close();
meter.report('nestjs-kafka-consumer @ConsumeTopic', ms);
