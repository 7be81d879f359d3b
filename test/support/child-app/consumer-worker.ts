/**
 * A generic consumer-only Nest app, run as its own OS process by `spawnConsumerApp()`
 * (./spawn-consumer-app.ts): one `@ConsumeTopic` handler, bootstrapped as DESIGN.md's worker
 * (`createMicroservice` + `enableShutdownHooks()`), that reports to its parent over IPC (see
 * ./protocol.ts) and answers its `stats` requests (RSS, heap, active resources). Configured by
 * environment variables:
 *
 *   KAFKA_BROKERS                 host:port,...            (default 127.0.0.1:9092)
 *   WORKER_TOPIC                  topic[,topic...]         (required)
 *   WORKER_GROUP                  consumer group           (required)
 *   WORKER_CLIENT_ID              kafkajs clientId         (default worker-<pid>)
 *   WORKER_HANDLER_DELAY_MS       time each record takes   (default 0; a payload's delayMs wins)
 *   WORKER_FROM_BEGINNING         'true' | 'false'         (default true)
 *   WORKER_SESSION_TIMEOUT_MS     kafkajs sessionTimeout
 *   WORKER_HEARTBEAT_INTERVAL_MS  kafkajs heartbeatInterval
 *   WORKER_COMMIT_INTERVAL_MS     module commitIntervalMs
 *   WORKER_SHUTDOWN_TIMEOUT_MS    module shutdownTimeoutMs
 *   WORKER_OFFSET_STORE           name of an offset store class exported by nestjs-kafka-consumer
 *   WORKER_MODULE_OPTIONS         JSON merged into forRoot() options (`consumer` merged one level)
 *   WORKER_SETUP                  absolute path of a module exporting optional `imports`,
 *                                 `providers` (added to the app module) and `moduleOptions`
 *   WORKER_LOG_LEVELS             Nest log levels (default error,warn)
 */
import 'reflect-metadata';
import { Controller, Module, type LogLevel, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload, type AsyncMicroserviceOptions } from '@nestjs/microservices';
import * as library from 'nestjs-kafka-consumer';
import {
  ConsumeTopic,
  KafkaConsumerContext,
  KafkaConsumerModule,
  KafkaConsumerServer,
  NonRetriableError,
  type KafkaConsumerModuleOptions,
  type TopicPartition,
} from 'nestjs-kafka-consumer';
import { pathToFileURL } from 'node:url';
import type { WorkerEvent, WorkerPayload, WorkerRequest } from './protocol.js';

interface WorkerSetup {
  imports?: ModuleMetadata['imports'];
  providers?: ModuleMetadata['providers'];
  moduleOptions?: Partial<KafkaConsumerModuleOptions>;
}

const env = process.env;

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`consumer-worker: ${name} is required`);
  return value;
}

function optionalNumber(name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`consumer-worker: ${name} must be a number, got "${raw}"`);
  return value;
}

/** Sends one report; resolves once it is handed to the IPC pipe (so a later SIGKILL cannot lose it). */
function report(event: WorkerEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function loadSetup(): Promise<WorkerSetup> {
  if (!env.WORKER_SETUP) return {};
  return (await import(pathToFileURL(env.WORKER_SETUP).href)) as WorkerSetup;
}

function offsetStoreOption(): Pick<KafkaConsumerModuleOptions, 'offsetStore'> {
  const name = env.WORKER_OFFSET_STORE;
  if (!name) return {};
  const store = (library as Record<string, unknown>)[name];
  if (typeof store !== 'function') throw new Error(`consumer-worker: nestjs-kafka-consumer exports no class "${name}"`);
  return { offsetStore: store as KafkaConsumerModuleOptions['offsetStore'] };
}

async function main(): Promise<void> {
  const topics = required('WORKER_TOPIC').split(',');
  const groupId = required('WORKER_GROUP');
  const handlerDelayMs = optionalNumber('WORKER_HANDLER_DELAY_MS') ?? 0;
  const setup = await loadSetup();
  const extra = JSON.parse(env.WORKER_MODULE_OPTIONS ?? '{}') as Partial<KafkaConsumerModuleOptions>;
  const sessionTimeout = optionalNumber('WORKER_SESSION_TIMEOUT_MS');
  const heartbeatInterval = optionalNumber('WORKER_HEARTBEAT_INTERVAL_MS');
  const commitIntervalMs = optionalNumber('WORKER_COMMIT_INTERVAL_MS');
  const shutdownTimeoutMs = optionalNumber('WORKER_SHUTDOWN_TIMEOUT_MS');

  const options: KafkaConsumerModuleOptions = {
    client: {
      clientId: env.WORKER_CLIENT_ID ?? `worker-${process.pid}`,
      brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').filter(Boolean),
    },
    fromBeginning: (env.WORKER_FROM_BEGINNING ?? 'true') === 'true',
    ...(commitIntervalMs === undefined ? {} : { commitIntervalMs }),
    ...(shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs }),
    ...offsetStoreOption(),
    ...setup.moduleOptions,
    ...extra,
    consumer: {
      ...(sessionTimeout === undefined ? {} : { sessionTimeout }),
      ...(heartbeatInterval === undefined ? {} : { heartbeatInterval }),
      ...setup.moduleOptions?.consumer,
      ...extra.consumer,
    },
  };

  @Controller()
  class WorkerController {
    @ConsumeTopic(topics, { groupId })
    async handle(@Payload() payload: WorkerPayload | null, @Ctx() ctx: KafkaConsumerContext): Promise<void> {
      const record = {
        id: payload?.id === undefined ? `${ctx.partition}:${ctx.offset}` : String(payload.id),
        topic: ctx.topic,
        partition: ctx.partition,
        offset: ctx.offset,
      };
      await report({ type: 'started', ...record, at: Date.now() });
      if (payload?.killSelf === 'before') process.kill(process.pid, 'SIGKILL');
      // Never on a dead-letter topic: a record read from there cannot be dead-lettered again.
      if (payload?.fail && !ctx.topic.endsWith('-dlt')) throw new NonRetriableError(`record ${record.id} fails`);
      const ms = payload?.delayMs ?? handlerDelayMs;
      if (ms > 0) await delay(ms);
      await report({ type: 'processed', ...record, at: Date.now() });
      if (payload?.killSelf === 'after') process.kill(process.pid, 'SIGKILL');
    }
  }

  @Module({
    imports: [KafkaConsumerModule.forRoot(options), ...(setup.imports ?? [])],
    providers: [...(setup.providers ?? [])],
    controllers: [WorkerController],
  })
  // oxlint-disable-next-line no-extraneous-class -- a Nest module is an empty decorated class
  class WorkerModule {}

  const logger = (env.WORKER_LOG_LEVELS ?? 'error,warn').split(',').filter(Boolean) as LogLevel[];
  const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(WorkerModule, {
    inject: [KafkaConsumerServer],
    useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
    logger,
  });
  app.enableShutdownHooks();
  // A SIGTERM during listen() closes the app (Nest's hook, which then re-raises the signal): listen()
  // resolves with no group left to report on, which is no error.
  let terminating = false;
  process.once('SIGTERM', () => (terminating = true));
  await app.listen();

  const runner = app.get(KafkaConsumerServer).groups.get(groupId);
  if (!runner) {
    if (terminating) return;
    throw new Error(`consumer-worker: group "${groupId}" is not running`);
  }
  const { consumer } = runner;
  // The first join happened inside listen(); later ones (rebalances) are reported as they come.
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assignment: TopicPartition[] = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    void report({ type: 'assigned', assignment, at: Date.now() });
  });
  await report({ type: 'ready', assignment: runner.assignment(), at: Date.now() });
}

/** Answers a `stats` request with the process's memory and active resources (a soak samples them). */
function reportStats(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  const { rss, heapUsed } = process.memoryUsage();
  return report({ type: 'stats', rss, heapUsed, resources, collected: gc !== undefined, at: Date.now() });
}

process.on('message', (request: WorkerRequest) => {
  if (request?.type === 'stats') void reportStats();
});
// A 'message' listener keeps the IPC channel referenced: it must not keep a closed app alive.
process.channel?.unref();

// An orphan (the test runner died without stopping it) leaves its group instead of consuming forever.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
