import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { ConsumeTopic, KafkaConsumerModule, KafkaConsumerServer, KafkaOffsetStore } from 'nestjs-kafka-consumer';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps, type WorkerEvent } from './support/child-app/spawn-consumer-app.js';
import { brokers, KafkaTestKit, unique } from './support/kafka.js';
import type { StoreStartupEvent } from './support/slow-start/delayed-store-setup.js';

const setupModule = fileURLToPath(new URL('./support/slow-start/delayed-store-setup.ts', import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 5000;
/** kafkajs' default: a member that vanished without leaving stays listed this long. */
const SESSION_TIMEOUT_MS = 30_000;

const isStartup =
  (type: StoreStartupEvent['type']) =>
  (event: WorkerEvent): boolean =>
    (event as unknown as StoreStartupEvent).type === type;

describe('SIGTERM while the app is still starting (S8)', () => {
  const kit = new KafkaTestKit();
  afterEach(async () => {
    await stopAllConsumerApps();
    await kit.close();
  });

  it.each([
    ['while its offset store connects', 'store-connecting'],
    ['while its group joins', 'store-connected'],
  ] as const)(
    'SIGTERM %s: the process exits within shutdownTimeoutMs + 5 s and leaves no member in the group',
    async (_when, trigger) => {
      const topic = await kit.createTopic(unique('slow-start'), 2);
      const groupId = unique('slow-start-group');
      const clientId = unique('slow-start-client');
      await kit.produce(topic, [{ value: JSON.stringify({ id: 'first' }) }]);
      const app = await spawnConsumerApp({
        topic,
        groupId,
        setupModule,
        shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        env: { WORKER_CLIENT_ID: clientId, DELAYED_CONNECT_MS: '3000' },
        waitUntilReady: false,
      });
      // As long as spawnConsumerApp waits for `ready`: a cold child transpiles the library first.
      await app.waitForEvent(`the "${trigger}" report`, isStartup(trigger), 60_000);
      expect(app.events.some((e) => e.type === 'ready')).toBe(false);
      const signalledAt = Date.now();
      app.kill('SIGTERM');
      await app.waitForExit(SHUTDOWN_TIMEOUT_MS + 5000);
      const exitedAt = Date.now();
      console.info(`S8 (${trigger}): exited ${exitedAt - signalledAt} ms after SIGTERM`);

      // Well within the session timeout: a member that joined and did not leave would still be listed.
      const admin = await kit.getAdmin();
      const members = async () => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]?.members.filter((m) => m.clientId === clientId) ?? [];
      };
      expect(await members()).toEqual([]);
      expect(Date.now() - exitedAt).toBeLessThan(SESSION_TIMEOUT_MS / 2);
    },
  );
});

describe('app.close() while app.listen() still runs, in one process (S8)', () => {
  const kit = new KafkaTestKit();
  const servers: KafkaConsumerServer[] = [];
  afterEach(async () => {
    // A member left behind by a failed close is stopped here, so it does not outlive the test.
    for (const server of servers.splice(0)) {
      await Promise.all(
        [...server.groups.values()].map((runner) => runner.consumer.disconnect().catch(() => undefined)),
      );
    }
    await kit.close();
  });

  it.each([
    ['while its offset store connects', 'connecting'],
    ['while its group joins', 'connected'],
  ] as const)('close() %s: listen() settles, no group member is left behind', async (_when, trigger) => {
    const topic = await kit.createTopic(unique('close-during-listen'), 2);
    const groupId = unique('close-during-listen-group');
    const clientId = unique('close-during-listen-client');
    let connecting!: () => void;
    let connected!: () => void;
    const reached = {
      connecting: new Promise<void>((resolve) => (connecting = resolve)),
      connected: new Promise<void>((resolve) => (connected = resolve)),
    };

    @Injectable()
    class SlowlyConnectingOffsetStore extends KafkaOffsetStore {
      override async connect(): Promise<void> {
        connecting();
        await new Promise((resolve) => setTimeout(resolve, 1500));
        connected();
      }
    }

    @Controller()
    class StartupController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() _body: unknown) {}
    }

    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId, brokers: brokers() },
          offsetStore: SlowlyConnectingOffsetStore,
          shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
        }),
      ],
      providers: [SlowlyConnectingOffsetStore],
      controllers: [StartupController],
    }).compile();
    moduleRef.useLogger(process.env.TEST_LOGS ? console : ['error']);
    const server = moduleRef.get(KafkaConsumerServer);
    servers.push(server);
    const app = moduleRef.createNestMicroservice({ strategy: server });
    const listening = app.listen().then(
      () => 'listening',
      (error: unknown) => `failed: ${String(error)}`,
    );
    await reached[trigger];
    await app.close();
    const outcome = await Promise.race([
      listening,
      new Promise<string>((resolve) => setTimeout(() => resolve('still pending'), SHUTDOWN_TIMEOUT_MS + 5000)),
    ]);
    console.info(`S8 in-process (${trigger}): listen() ended as "${outcome}"`);
    expect(outcome).not.toBe('still pending');

    const admin = await kit.getAdmin();
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0]?.members.filter((m) => m.clientId === clientId) ?? []).toEqual([]);
    expect([...server.groups.values()]).toEqual([]);
  });
});
