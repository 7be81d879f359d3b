import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerHealthIndicator,
  KafkaConsumerModule,
  type KafkaConsumerEvents,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { spawnConsumerApp, stopAllConsumerApps } from './support/child-app/spawn-consumer-app.js';
import { failHeartbeats } from './support/crash-policy/heartbeat-failure.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const RESTART_DELAY_MS = 10_000;
const exitSetup = fileURLToPath(new URL('./support/crash-policy/exit-on-crash-setup.ts', import.meta.url));

describe('a consumer that crashes (onCrash)', () => {
  const kit = new KafkaTestKit();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).toReversed()) await Promise.resolve(cleanup()).catch(() => undefined);
    await stopAllConsumerApps();
    await kit.close();
  });

  it("'restart': the crashed group reports down, restarts with backoff and consumes again", async () => {
    const topic = await kit.createTopic(unique('crash-restart'), 1);
    const groupId = unique('crash-restart');
    let failing = false;
    cleanups.push(failHeartbeats((group) => failing && group === groupId));
    const processed: number[] = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() order: { id: number }) {
        processed.push(order.id);
      }
    }
    const app: ConsumerApp = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'crash-restart-test', brokers: brokers() },
          consumer: { heartbeatInterval: 300 },
          health: { maxUnavailableMs: 0 },
          // Long enough that the crashed state is still there when the checks below run under load.
          onCrash: { action: 'restart', backoff: { type: 'fixed', delayMs: RESTART_DELAY_MS } },
        }),
      ],
      controllers: [OrdersController],
    });
    cleanups.push(() => app.close());
    const crashes: Array<KafkaConsumerEvents['crashed']> = [];
    let joins = 0;
    app.server.on('crashed', (event) => void crashes.push(event));
    app.server.on('connected', () => void joins++);
    const indicator = app.app.get(KafkaConsumerHealthIndicator);

    await kit.produce(topic, [{ value: JSON.stringify({ id: 1 }) }]);
    await waitFor('the first record', () => processed.includes(1));
    expect((await indicator.isHealthy('kafka')).kafka.status).toBe('up');

    failing = true;
    await waitFor('the consumer to crash', () => crashes.length > 0, 30_000);
    expect(crashes[0]).toMatchObject({ groupId, action: 'restart', restartInMs: RESTART_DELAY_MS });
    expect(String(crashes[0].error)).toContain('injected heartbeat failure');
    const down = await indicator.isHealthy('kafka');
    console.info(`[health] crashed group:\n${JSON.stringify(down, null, 2)}`);
    expect(down.kafka.status).toBe('down');
    expect(down.kafka.groups[groupId]).toMatchObject({
      status: 'crashed',
      error: 'KafkaJSNonRetriableError: injected heartbeat failure',
      partitions: [],
    });
    expect(down.kafka.problems[0]).toMatch(
      new RegExp(`^group "${groupId}" crashed \\d+ s ago: KafkaJSNonRetriableError: injected heartbeat failure$`),
    );

    const joinsBefore = joins;
    failing = false;
    await waitFor('the restarted consumer to join', () => joins > joinsBefore, 60_000);
    await kit.produce(topic, [{ value: JSON.stringify({ id: 2 }) }]);
    await waitFor('a record produced after the restart', () => processed.includes(2), 60_000);
    expect((await indicator.isHealthy('kafka')).kafka.status).toBe('up');
  }, 120_000);

  it("'exit': the process ends with code 1 when its consumer crashes", async () => {
    const topic = await kit.createTopic(unique('crash-exit'), 1);
    const marker = join(tmpdir(), unique('crash-marker'));
    cleanups.push(() => rmSync(marker, { force: true }));
    const app = await spawnConsumerApp({
      topic,
      groupId: unique('crash-exit'),
      heartbeatIntervalMs: 300,
      setupModule: exitSetup,
      env: { CRASH_MARKER_FILE: marker },
    });
    writeFileSync(marker, '');
    expect(await app.waitForExit(60_000)).toEqual({ code: 1, signal: null });
    expect(app.output()).toContain('injected heartbeat failure; onCrash: the process exits with code 1');
  }, 90_000);
});
