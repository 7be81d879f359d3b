// An I/O-bound handler (awaits BENCH_HANDLER_MS) under one concurrency mode (BENCH_MODE, with
// BENCH_MAX_IN_FLIGHT): run by bench/concurrency.bench.mjs, one process per mode.
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, type ConcurrencyMode } from 'nestjs-kafka-consumer';
import { benchEnv, Meter, slowWork, startConsumerApp } from '../scenarios/common.js';

const env = benchEnv();
const meter = new Meter(env.count);
const mode = (process.env.BENCH_MODE ?? 'partition') as ConcurrencyMode;
const maxInFlight = Number(process.env.BENCH_MAX_IN_FLIGHT ?? 100);
const concurrency = mode === 'partition' ? { mode } : { mode, maxInFlight };
let cpuAtFirstRecord: NodeJS.CpuUsage | undefined;

@Controller()
class IoBoundController {
  @ConsumeTopic(env.topic, { groupId: env.groupId, fromBeginning: true, deserializer: 'buffer', concurrency })
  async handle(@Payload() value: Buffer) {
    cpuAtFirstRecord ??= process.cpuUsage();
    await slowWork(value, env.handlerMs);
    meter.record();
  }
}

const app = await startConsumerApp([IoBoundController], env.brokers, 'bench-io');
const ms = await meter.done;
// CPU per record from the first one on: on a loaded machine, what bounds the rate with a core of its own.
const cpu = process.cpuUsage(cpuAtFirstRecord);
console.error(`    ${mode}: ${((cpu.user + cpu.system) / env.count).toFixed(1)} µs CPU per record`);
await app.close();
meter.report(`@ConsumeTopic concurrency ${mode}${mode === 'partition' ? '' : ` maxInFlight ${maxInFlight}`}`, ms);
