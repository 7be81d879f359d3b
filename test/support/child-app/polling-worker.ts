/**
 * The polling counterpart of ./consumer-worker.ts, run by `spawnConsumerApp({ kind: 'polling' })`:
 * a Nest application context whose `PollingConsumer` polls, "processes" each record (reports it to
 * the parent over IPC, see ./protocol.ts) and commits what it polled, in a loop. SIGTERM ends the
 * loop after the batch in hand (processed and committed), then closes the app, which leaves the
 * group; a SIGTERM while still connecting closes at once. Configured by the consumer worker's
 * environment variables (KAFKA_BROKERS, WORKER_TOPIC, WORKER_GROUP, WORKER_CLIENT_ID,
 * WORKER_HANDLER_DELAY_MS, WORKER_FROM_BEGINNING, WORKER_SESSION_TIMEOUT_MS,
 * WORKER_HEARTBEAT_INTERVAL_MS, WORKER_MODULE_OPTIONS, WORKER_LOG_LEVELS) plus
 *
 *   WORKER_POLL_MAX_MESSAGES      records one poll() returns at most   (default 100)
 */
import 'reflect-metadata';
import { Module, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CommitFailedError,
  KafkaConsumerModule,
  KafkaConsumerRegistry,
  type KafkaConsumerModuleOptions,
  type PolledRecord,
  type PollingConsumer,
} from 'nestjs-kafka-consumer';
import type { WorkerEvent, WorkerPayload } from './protocol.js';

const env = process.env;

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`polling-worker: ${name} is required`);
  return value;
}

function optionalNumber(name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`polling-worker: ${name} must be a number, got "${raw}"`);
  return value;
}

/** Sends one report; resolves once it is handed to the IPC pipe (so a later SIGKILL cannot lose it). */
function report(event: WorkerEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Aborted by SIGTERM. */
const stopping = new AbortController();

/** Processes `records` in poll order (each partition's in offset order), then commits them. */
async function handle(consumer: PollingConsumer, records: PolledRecord[], handlerDelayMs: number): Promise<void> {
  for (const polled of records) {
    const payload = polled.value as WorkerPayload | null;
    const record = {
      id: payload?.id === undefined ? `${polled.partition}:${polled.offset}` : String(payload.id),
      topic: polled.topic,
      partition: polled.partition,
      offset: polled.offset,
    };
    await report({ type: 'started', ...record, at: Date.now() });
    const ms = payload?.delayMs ?? handlerDelayMs;
    if (ms > 0) await delay(ms);
    await report({ type: 'processed', ...record, at: Date.now() });
  }
  try {
    await consumer.commit(records);
  } catch (error) {
    // The partitions moved meanwhile: their new owner reads these records again.
    if (!(error instanceof CommitFailedError)) throw error;
  }
}

async function main(): Promise<void> {
  const topics = required('WORKER_TOPIC').split(',');
  const groupId = required('WORKER_GROUP');
  const handlerDelayMs = optionalNumber('WORKER_HANDLER_DELAY_MS') ?? 0;
  const maxMessages = optionalNumber('WORKER_POLL_MAX_MESSAGES') ?? 100;
  const sessionTimeout = optionalNumber('WORKER_SESSION_TIMEOUT_MS');
  const heartbeatInterval = optionalNumber('WORKER_HEARTBEAT_INTERVAL_MS');
  const extra = JSON.parse(env.WORKER_MODULE_OPTIONS ?? '{}') as Partial<KafkaConsumerModuleOptions>;
  const options: KafkaConsumerModuleOptions = {
    client: {
      clientId: env.WORKER_CLIENT_ID ?? `polling-worker-${process.pid}`,
      brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').filter(Boolean),
    },
    ...extra,
  };

  @Module({ imports: [KafkaConsumerModule.forRoot(options)] })
  // oxlint-disable-next-line no-extraneous-class -- a Nest module is an empty decorated class
  class PollingWorkerModule {}

  const logger = (env.WORKER_LOG_LEVELS ?? 'error,warn').split(',').filter(Boolean) as LogLevel[];
  const app = await NestFactory.createApplicationContext(PollingWorkerModule, { logger });
  // Created in the same tick as the app, so a SIGTERM's app.close() always finds it to close.
  const consumer = app.get(KafkaConsumerRegistry).createPollingConsumer({
    groupId,
    topics,
    fromBeginning: (env.WORKER_FROM_BEGINNING ?? 'true') === 'true',
    consumer: {
      ...(sessionTimeout === undefined ? {} : { sessionTimeout }),
      ...(heartbeatInterval === undefined ? {} : { heartbeatInterval }),
    },
  });
  let looping: Promise<void> | undefined;
  process.once('SIGTERM', () => {
    stopping.abort();
    // The loop ends after its batch; then the app closes the consumer (it leaves the group).
    void (looping ?? Promise.resolve())
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  });

  await consumer.connect();
  if (stopping.signal.aborted) return;
  await report({ type: 'ready', assignment: consumer.assignment(), at: Date.now() });

  looping = (async () => {
    let reported = '';
    while (!stopping.signal.aborted) {
      const records = await consumer.poll({ timeoutMs: 200, maxMessages });
      const assignment = consumer.assignment();
      const now = JSON.stringify(assignment);
      if (now !== reported) {
        reported = now;
        await report({ type: 'assigned', assignment, at: Date.now() });
      }
      if (records.length > 0) await handle(consumer, records, handlerDelayMs);
    }
  })();
  await looping;
}

// An orphan (the test runner died without stopping it) leaves its group instead of consuming forever.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));

main().catch((error: unknown) => {
  if (stopping.signal.aborted) return;
  console.error(error);
  process.exit(1);
});
