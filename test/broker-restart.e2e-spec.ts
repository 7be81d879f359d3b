import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { createTopics, unique, waitFor } from './support/kafka.js';

const root = new URL('../', import.meta.url).pathname;

/** A port whose next port is free too (the broker's controller listens there). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const free = async (p: number) =>
      new Promise<boolean>((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(false));
        server.listen(p, '127.0.0.1', () => server.close(() => resolve(true)));
      });
    if ((await free(port)) && (await free(port + 1))) return port;
  }
}

/** Runs a script of scripts/kafka against this test's own single-node broker. */
function kafkaScript(script: 'start.sh' | 'stop.sh', env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [`scripts/kafka/${script}`],
      { cwd: root, env: { ...process.env, KAFKA_BROKERS: '', ...env } },
      (error, _out, stderr) => (error ? reject(new Error(`${script} failed: ${stderr}`)) : resolve()),
    );
  });
}

// A broker restart needs a broker this test owns: skipped when the suite runs against KAFKA_BROKERS.
describe.skipIf(process.env.KAFKA_EXTERNAL === '1')('a broker restart while records flow', () => {
  let env: Record<string, string>;
  let brokers: string[];
  let dataDir: string;
  let kafka: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: ConsumerApp | undefined;

  beforeAll(async () => {
    const port = await freePortPair();
    dataDir = mkdtempSync(join(tmpdir(), 'kafka-restart-test-'));
    env = { KAFKA_SINGLE_PORT: String(port), KAFKA_DATA_DIR: dataDir };
    brokers = [`127.0.0.1:${port}`];
    await kafkaScript('start.sh', env);
    kafka = new Kafka({ clientId: 'broker-restart-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  });

  afterAll(async () => {
    await consumer?.close().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await kafkaScript('stop.sh', env).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing: every produced record is processed and the group commits the end of every partition', async () => {
    admin = kafka.admin();
    await admin.connect();
    const topic = unique('restart');
    const groupId = unique('restart-group');
    await createTopics(admin, [{ topic, numPartitions: 3 }]);
    const processed = new Set<string>();

    @Controller()
    class Counter {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() body: { id: string }, @Ctx() _ctx: KafkaConsumerContext) {
        processed.add(body.id);
      }
    }
    consumer = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: {
            clientId: 'broker-restart-app',
            brokers,
            retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 2000 },
          },
          consumer: { sessionTimeout: 10_000, heartbeatInterval: 1000 },
          commitIntervalMs: 200,
        }),
      ],
      controllers: [Counter],
    });

    // Every batch is sent until the broker acknowledges it: what counts as produced was acknowledged.
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2 } });
    await producer.connect();
    const acknowledged: string[] = [];
    let failedSends = 0;
    let next = 0;
    const send = async (count: number) => {
      const ids = Array.from({ length: count }, () => `r${next++}`);
      for (;;) {
        try {
          await producer!.send({
            topic,
            acks: -1,
            messages: ids.map((id) => ({ key: id, value: JSON.stringify({ id }) })),
          });
          acknowledged.push(...ids);
          return;
        } catch {
          failedSends++;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    };

    for (let i = 0; i < 10; i++) await send(50);
    await waitFor('the first 500 records', () => processed.size >= 500);

    // Restart the broker (controlled shutdown, then start on the same data) while records keep coming.
    let restartDone = false;
    const restarted = (async () => {
      await kafkaScript('stop.sh', env);
      await kafkaScript('start.sh', env);
    })().finally(() => (restartDone = true));
    while (!restartDone) {
      await send(10);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the producer's pace
    }
    await restarted;
    // The broker really was down while records were being sent.
    expect(failedSends).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) await send(50);

    await waitFor(
      'every acknowledged record to be processed',
      () => acknowledged.every((id) => processed.has(id)),
      90_000,
      200,
    );
    expect(acknowledged.length).toBeGreaterThan(1000);
    const ends = Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
    await waitFor(
      'the group to commit the end of every partition',
      async () => {
        const [committed] = await admin!.fetchOffsets({ groupId, topics: [topic] });
        return committed.partitions.every((p) => p.offset === ends[p.partition]);
      },
      30_000,
      200,
    );
  });
});
