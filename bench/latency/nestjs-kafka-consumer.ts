// This package: @ConsumeTopic through Nest's pipeline, default options (JSON, concurrency 'partition').
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic } from 'nestjs-kafka-consumer';
import { startConsumerApp } from '../scenarios/common.js';
import { LatencyRecorder, type LatencyRecord } from './recorder.js';

const recorder = new LatencyRecorder();
const { env } = recorder;

@Controller()
class EventsController {
  @ConsumeTopic(env.topic, { groupId: env.groupId, fromBeginning: true })
  handle(@Payload() value: LatencyRecord) {
    recorder.record(value);
  }
}

const app = await startConsumerApp([EventsController], env.brokers);
await recorder.done;
await app.close();
recorder.report('nestjs-kafka-consumer @ConsumeTopic');
