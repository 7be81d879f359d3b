import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type KafkaConfig,
} from 'kafkajs';
import {
  BrokerAuthenticationError,
  BrokerTlsError,
  ConsumeTopic,
  KafkaConsumerModule,
  TopicAuthorizationError,
} from 'nestjs-kafka-consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { createTopics, unique, waitFor } from './support/kafka.js';
import { kafkaScript, startPrivateBroker, type PrivateBroker } from './support/private-broker.js';

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

/** Creates `topic` and writes one record to it through the broker's PLAINTEXT listener. */
async function produceOne(plaintext: string, topic: string, value: object) {
  const kafka = new Kafka({ clientId: 'security-test-producer', brokers: [plaintext], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  try {
    await admin.connect();
    await createTopics(admin, [{ topic }]);
    await producer.connect();
    await producer.send({ topic, messages: [{ value: JSON.stringify(value) }] });
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Grants `user` what a consumer needs on topics and groups whose names start with the prefixes
 * (through PLAINTEXT, whose principal is a super user of a KAFKA_SASL_ACLS=1 broker).
 */
async function grantConsumer(
  plaintext: string,
  user: string,
  topicPrefix: string,
  groupPrefix: string,
  describeOnlyPrefix: string,
) {
  const admin = new Kafka({ clientId: 'security-test-acls', brokers: [plaintext], logLevel: logLevel.NOTHING }).admin();
  const acl = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes) => ({
    resourceType,
    resourceName,
    resourcePatternType: ResourcePatternTypes.PREFIXED,
    principal: `User:${user}`,
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  try {
    await admin.connect();
    await admin.createAcls({
      acl: [
        acl(AclResourceTypes.TOPIC, topicPrefix, AclOperationTypes.READ),
        acl(AclResourceTypes.TOPIC, topicPrefix, AclOperationTypes.DESCRIBE),
        acl(AclResourceTypes.GROUP, groupPrefix, AclOperationTypes.READ),
        acl(AclResourceTypes.GROUP, groupPrefix, AclOperationTypes.DESCRIBE),
        acl(AclResourceTypes.TOPIC, describeOnlyPrefix, AclOperationTypes.DESCRIBE),
      ],
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Everything a user could read of an error: messages, codes and stacks along its cause chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    parts.push(e.name, e.message, e.stack ?? '', String((e as { code?: unknown }).code ?? ''));
  }
  return parts.join('\n');
}

const apps: ConsumerApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close().catch(() => undefined)));
});

/** Starts an app consuming `topic` with this client config; keeps it for afterEach when it starts. */
async function start(client: KafkaConfig, controller: ReturnType<typeof ordersController>, logger: CapturingLogger) {
  const app = await startConsumerApp(
    { imports: [KafkaConsumerModule.forRoot({ client, brokerStartupTimeoutMs: 20_000 })], controllers: [controller] },
    { logger },
  );
  apps.push(app);
  return app;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

// Both brokers are the test's own (scripts/kafka/start.sh --security): skipped against KAFKA_BROKERS.
describe.skipIf(process.env.KAFKA_EXTERNAL === '1')('a broker with a SASL/SCRAM listener', () => {
  const username = 'orders-app';
  const password = `scram-${randomBytes(9).toString('hex')}`;
  let broker: PrivateBroker | undefined;

  beforeAll(async () => {
    // ACLs enforced: the user reads only topics and groups it was granted (the prefixes below).
    broker = await startPrivateBroker('sasl', {
      KAFKA_SASL_USERNAME: username,
      KAFKA_SASL_PASSWORD: password,
      KAFKA_SASL_ACLS: '1',
    });
    console.info(`[broker-security] start.sh --security sasl took ${broker.startMs} ms`);
    await grantConsumer(broker.plaintext, username, 'sasl-orders', 'sasl-group', 'sasl-listed');
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const client = (pass: string): KafkaConfig => ({
    clientId: 'security-sasl',
    brokers: [broker!.secured],
    sasl: { mechanism: 'scram-sha-256', username, password: pass },
  });

  it('consumes a record with the right credentials, and logs no password', async () => {
    const topic = unique('sasl-orders');
    await produceOne(broker!.plaintext, topic, { id: 'o1' });
    const seen: unknown[] = [];
    const logger = new CapturingLogger();
    await start(client(password), ordersController(topic, unique('sasl-group'), seen), logger);
    await waitFor('the record over SASL', () => seen.length === 1);
    expect(seen).toEqual([{ id: 'o1' }]);
    expect(logger.lines.filter((l) => l.message.includes(password))).toEqual([]);
  });

  it('fails bootstrap with TopicAuthorizationError naming the topic, handler and group when the user may not read the topic', async () => {
    const topic = unique('sasl-denied');
    const groupId = unique('sasl-group');
    await produceOne(broker!.plaintext, topic, { id: 'd1' });
    const logger = new CapturingLogger();
    const error = await failure(start(client(password), ordersController(topic, groupId, []), logger));
    expect(error).toBeInstanceOf(TopicAuthorizationError);
    const { message, code, topics } = error as TopicAuthorizationError;
    expect(code).toBe('KAFKA_CONSUMER_TOPIC_AUTHORIZATION');
    expect(topics).toEqual([topic]);
    expect(message).toContain(topic);
    expect(message).toContain(groupId);
    expect(message).toContain('OrdersController.handle');
    expect(message).toContain(broker!.secured);
    expect(errorText(error)).not.toContain(password);
    expect(logger.lines.filter((l) => l.message.includes(password))).toEqual([]);
  });

  it('says which grant is missing when the user may describe the topic but not read it (the consumer crashes at its first fetch)', async () => {
    const topic = unique('sasl-listed');
    const groupId = unique('sasl-group');
    await produceOne(broker!.plaintext, topic, { id: 'l1' });
    const logger = new CapturingLogger();
    await start(client(password), ordersController(topic, groupId, []), logger);
    const crashed = await waitFor('the crash line', () =>
      logger.lines.find((l) => l.level === 'error' && l.message.includes('stopped on a non-retriable error')),
    );
    expect(crashed!.message).toContain(`Group "${groupId}"`);
    expect(crashed!.message).toMatch(/Not authorized to access topics/);
    expect(crashed!.message).toContain('grant it READ and DESCRIBE on each topic of the group');
    expect(logger.lines.filter((l) => l.message.includes(password))).toEqual([]);
  });

  it('fails bootstrap on wrong credentials with BrokerAuthenticationError naming mechanism and broker, never the password', async () => {
    const wrong = `wrong-${randomBytes(9).toString('hex')}`;
    const logger = new CapturingLogger();
    const error = await failure(start(client(wrong), ordersController(unique('sasl-x'), unique('g'), []), logger));
    expect(error).toBeInstanceOf(BrokerAuthenticationError);
    const { message, code } = error as BrokerAuthenticationError;
    expect(code).toBe('KAFKA_CONSUMER_BROKER_AUTHENTICATION');
    expect(message).toMatch(/scram-sha-256/i);
    expect(message).toContain(broker!.secured);
    expect(message).toContain('client.sasl');
    for (const secret of [wrong, password]) {
      expect(errorText(error)).not.toContain(secret);
      expect(logger.lines.filter((l) => l.message.includes(secret))).toEqual([]);
    }
  });
});

describe.skipIf(process.env.KAFKA_EXTERNAL === '1')('a broker with a TLS listener', () => {
  let broker: PrivateBroker | undefined;
  let otherCaDir: string | undefined;

  beforeAll(async () => {
    broker = await startPrivateBroker('tls');
    console.info(`[broker-security] start.sh --security tls took ${broker.startMs} ms`);
  });
  afterAll(async () => {
    await broker?.stop();
    if (otherCaDir) rmSync(otherCaDir, { recursive: true, force: true });
  });

  const client = (ssl: KafkaConfig['ssl']): KafkaConfig => ({
    clientId: 'security-tls',
    brokers: [broker!.secured],
    ssl,
  });

  it("consumes a record when client.ssl.ca holds the script's CA", async () => {
    const topic = unique('tls-orders');
    await produceOne(broker!.plaintext, topic, { id: 't1' });
    const seen: unknown[] = [];
    const ca = readFileSync(join(broker!.dataDir, 'single/tls/ca.pem'), 'utf8');
    await start(
      { ...client({ ca: [ca], rejectUnauthorized: true }) },
      ordersController(topic, unique('tls-group'), seen),
      new CapturingLogger(),
    );
    await waitFor('the record over TLS', () => seen.length === 1);
    expect(seen).toEqual([{ id: 't1' }]);
  });

  it('fails bootstrap with BrokerTlsError naming the broker when the CA is not given', async () => {
    const error = await failure(
      start(client(true), ordersController(unique('tls-x'), unique('g'), []), new CapturingLogger()),
    );
    expect(error).toBeInstanceOf(BrokerTlsError);
    const { message, code } = error as BrokerTlsError;
    expect(code).toBe('KAFKA_CONSUMER_BROKER_TLS');
    expect(message).toContain(broker!.secured);
    expect(message).toContain('client.ssl.ca');
  });

  it('fails bootstrap with BrokerTlsError when client.ssl.ca is another CA', async () => {
    otherCaDir = mkdtempSync(join(tmpdir(), 'kafka-other-ca-'));
    await kafkaScript('tls-certs.sh', [otherCaDir, randomBytes(9).toString('hex')], {});
    const otherCa = readFileSync(join(otherCaDir, 'ca.pem'), 'utf8');
    const error = await failure(
      start(
        client({ ca: [otherCa], rejectUnauthorized: true }),
        ordersController(unique('tls-y'), unique('g'), []),
        new CapturingLogger(),
      ),
    );
    expect(error).toBeInstanceOf(BrokerTlsError);
    expect((error as BrokerTlsError).message).toContain(broker!.secured);
  });
});
