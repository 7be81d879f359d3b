/**
 * close() while the external offset store is black-holed (no RST, no FIN): the final commit gives
 * up at shutdownTimeoutMs, and disconnecting the store must not hold the exit much longer either
 * (PostgreSQL's pool.end() waits for the hung save's connection, Redis' QUIT for its reply).
 */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';
import { TcpProxy } from './support/tcp-proxy.js';

const SHUTDOWN_TIMEOUT_MS = 4000;
/**
 * The drivers' own timeouts, raised well past the bound below: a close() that waited for the hung
 * save's connection (pg) or the QUIT reply (Redis) would take about this long, not a few seconds.
 */
const DRIVER_TIMEOUT_MS = 20_000;
/** Past the budget: leaving the group and disconnecting from Kafka take seconds on a loaded machine. */
const LEAVE_MARGIN_MS = 8000;

describe.each([
  ['postgres', 5432],
  ['redis', 6379],
] as const)('close() with the %s offset store black-holed', (kind, upstreamPort) => {
  const kit = new KafkaTestKit();
  let proxy: TcpProxy | undefined;
  let store: StoreFixture | undefined;
  let app: ConsumerApp | undefined;
  afterEach(async () => {
    proxy?.heal();
    await app?.close();
    await proxy?.stop();
    await store?.cleanup();
    await kit.close();
    app = proxy = store = undefined;
  });

  it('returns within shutdownTimeoutMs plus a few seconds, not after the store driver gives up', async () => {
    proxy = new TcpProxy('127.0.0.1', upstreamPort);
    const port = await proxy.start();
    store = storeFixture(kind);
    const topic = await kit.createTopic(unique('close-blackhole'), 2);
    const groupId = unique('close-blackhole');
    let processed = 0;

    @Controller()
    class Counter {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() _record: unknown) {
        processed++;
      }
    }

    app = await startConsumerApp({
      imports: [
        store.module(
          kind === 'postgres'
            ? {
                connection: {
                  connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
                  connectionTimeoutMillis: DRIVER_TIMEOUT_MS,
                  query_timeout: DRIVER_TIMEOUT_MS,
                },
              }
            : {
                connection: {
                  host: '127.0.0.1',
                  port,
                  connectTimeout: DRIVER_TIMEOUT_MS,
                  commandTimeout: DRIVER_TIMEOUT_MS,
                },
              },
        ),
        KafkaConsumerModule.forRoot({
          client: { clientId: 'close-blackhole', brokers: brokers() },
          offsetStore: store.storeClass,
          shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
          commitIntervalMs: 100,
        }),
      ],
      controllers: [Counter],
    });
    await kit.produce(topic, [{ value: '{}' }, { value: '{}' }]);
    await waitFor(
      'two records processed and stored',
      async () => processed >= 2 && Object.keys(await store!.read(groupId, topic)).length > 0,
    );
    proxy.blackHole();
    await kit.produce(topic, [{ value: '{}' }]);
    await waitFor('the third record processed (its offset cannot be stored)', () => processed >= 3);

    const started = Date.now();
    const closing = app.close();
    app = undefined;
    await closing;
    const tookMs = Date.now() - started;
    console.info(
      `close() with the ${kind} store black-holed took ${tookMs} ms (shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS})`,
    );
    // The final commit and the store disconnect each get at least 1 s even when the budget is
    // spent, leaving the group and disconnecting from Kafka come on top; a close() that waited for
    // the driver to give up would take DRIVER_TIMEOUT_MS.
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + LEAVE_MARGIN_MS);
  }, 60_000);
});
