import { createServer } from 'node:net';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  BrokerAuthenticationError,
  BrokersUnreachableError,
  BrokerTlsError,
  ConsumeTopic,
  KafkaConsumerModule,
  KafkaConsumerServer,
  MissingTopicError,
  type KafkaConsumerModuleOptions,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function ordersController(topic: string, groupId: string, seen: unknown[]) {
  @Controller()
  class OrdersController {
    @ConsumeTopic(topic, { groupId, fromBeginning: true })
    handle(@Payload() order: unknown) {
      seen.push(order);
    }
  }
  return OrdersController;
}

describe('first contact with the brokers', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const pending: Array<Promise<ConsumerApp>> = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    for (const started of pending.splice(0)) await started.then((a) => a.close()).catch(() => undefined);
    await kit.close();
  });

  const start = (
    options: Partial<KafkaConsumerModuleOptions>,
    controller: ReturnType<typeof ordersController>,
    logger = new CapturingLogger(),
  ) =>
    startConsumerApp(
      {
        imports: [
          KafkaConsumerModule.forRoot({ client: { clientId: 'first-contact', brokers: brokers() }, ...options }),
        ],
        controllers: [controller],
      },
      { logger },
    );

  it('fails bootstrap on a missing topic with MissingTopicError naming topic, handler, group and the options', async () => {
    const topic = unique('no-such-orders');
    const groupId = unique('billing');
    const error = await start({}, ordersController(topic, groupId, [])).then(
      (app) => (apps.push(app), undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MissingTopicError);
    const { message, code, topics } = error as MissingTopicError;
    expect(code).toBe('KAFKA_CONSUMER_MISSING_TOPIC');
    expect(topics).toEqual([topic]);
    expect(message).toContain(`"${topic}" (OrdersController.handle, group "${groupId}")`);
    expect(message).toContain(brokers()[0]);
    expect(message).toContain("missingTopics: 'create'");
    expect(message).toContain("missingTopics: 'wait'");
    // Nothing was created behind the user's back.
    expect(await (await kit.getAdmin()).listTopics()).not.toContain(topic);
  });

  it("missingTopics: 'wait' logs what it waits for, and consumes once the topic is created", async () => {
    const topic = unique('later-orders');
    const groupId = unique('billing');
    const seen: unknown[] = [];
    const logger = new CapturingLogger();
    let listening = false;
    const started = start({ missingTopics: 'wait' }, ordersController(topic, groupId, seen), logger);
    pending.push(started);
    void started.then(() => (listening = true));
    await waitFor('the waiting line', () => logger.has('warn', `Waiting for topic(s) to exist`));
    expect(logger.lines.find((l) => l.message.includes('Waiting for topic'))!.message).toContain(
      `"${topic}" (OrdersController.handle, group "${groupId}")`,
    );
    expect(listening).toBe(false);

    await kit.createTopic(topic, 2);
    apps.push(await started);
    await kit.produce(topic, [{ value: JSON.stringify({ id: 1 }) }]);
    await waitFor('the record', () => seen.length === 1);
    expect(seen).toEqual([{ id: 1 }]);
  });

  it("missingTopics: 'wait' stops waiting when the app is closed meanwhile", async () => {
    const topic = unique('never-orders');
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'first-contact', brokers: brokers() },
          missingTopics: 'wait',
        }),
      ],
      controllers: [ordersController(topic, unique('g'), [])],
    }).compile();
    moduleRef.useLogger(logger);
    const app = moduleRef.createNestMicroservice({ strategy: moduleRef.get(KafkaConsumerServer) });
    let settled = false;
    const listening = app.listen().finally(() => (settled = true));
    try {
      await waitFor('the waiting line', () => logger.has('warn', 'Waiting for topic(s) to exist'));
    } finally {
      await app.close();
    }
    await waitFor('listen() to settle after close()', () => settled, 10_000);
    await listening.catch(() => undefined);
    // No group was started behind the closed app.
    expect(moduleRef.get(KafkaConsumerServer).groups.size).toBe(0);
  });

  it("missingTopics: 'create' creates the topic at startup and consumes it", async () => {
    const topic = unique('created-orders');
    const seen: unknown[] = [];
    const logger = new CapturingLogger();
    apps.push(await start({ missingTopics: 'create' }, ordersController(topic, unique('billing'), seen), logger));
    expect(await (await kit.getAdmin()).listTopics()).toContain(topic);
    expect(logger.has('log', `Created missing topic(s) "${topic}"`)).toBe(true);
    await kit.produce(topic, [{ value: JSON.stringify({ id: 7 }) }]);
    await waitFor('the record', () => seen.length === 1);
    expect(seen).toEqual([{ id: 7 }]);
  });

  it('fails on an unreachable broker after brokerStartupTimeoutMs with BrokersUnreachableError naming brokers, topic and handler', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const topic = unique('orders');
    const groupId = unique('billing');
    const logger = new CapturingLogger();
    const error = await start(
      { client: { clientId: 'first-contact', brokers: [address] }, brokerStartupTimeoutMs: 1500 },
      ordersController(topic, groupId, []),
      logger,
    ).then(
      (app) => (apps.push(app), undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokersUnreachableError);
    const { message, code } = error as BrokersUnreachableError;
    expect(code).toBe('KAFKA_CONSUMER_BROKERS_UNREACHABLE');
    expect(message).toContain(`Cannot reach the Kafka brokers ${address}`);
    expect(message).toContain('brokerStartupTimeoutMs=1500');
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain(`"${topic}" (OrdersController.handle, group "${groupId}")`);
    // While it retried, the first failure was already logged, so a newcomer is not left waiting in silence.
    expect(logger.has('warn', `Cannot reach the Kafka brokers ${address} yet`)).toBe(true);
  });

  it('fails at once with BrokerTlsError when client.ssl is set for a plaintext listener', async () => {
    const error = await start(
      { client: { clientId: 'first-contact', brokers: brokers(), ssl: true } },
      ordersController(unique('orders'), unique('g'), []),
    ).then(
      (app) => (apps.push(app), undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokerTlsError);
    expect((error as BrokerTlsError).code).toBe('KAFKA_CONSUMER_BROKER_TLS');
    expect((error as Error).message).toContain(`TLS handshake with the Kafka brokers ${brokers()[0]} failed`);
    expect((error as Error).message).toContain('client.ssl is set');
  });

  it('fails at once with BrokerAuthenticationError, never showing the password, when client.sasl is set for a listener without SASL', async () => {
    const password = 'hunter2-very-secret';
    const error = await start(
      {
        client: {
          clientId: 'first-contact',
          brokers: brokers(),
          sasl: { mechanism: 'plain', username: 'app', password },
        },
      },
      ordersController(unique('orders'), unique('g'), []),
    ).then(
      (app) => (apps.push(app), undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokerAuthenticationError);
    const { message, code } = error as BrokerAuthenticationError;
    expect(code).toBe('KAFKA_CONSUMER_BROKER_AUTHENTICATION');
    expect(message).toContain('SASL plain authentication');
    expect(message).toContain('does not use SASL at all');
    expect(message).not.toContain(password);
  });
});
