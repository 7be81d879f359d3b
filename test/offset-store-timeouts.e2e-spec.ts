import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerModule,
  OffsetStore,
  type ClaimedPartition,
  type TopicPartitionOffset,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const SHUTDOWN_TIMEOUT_MS = 3000;
const SAVE_TIMEOUT_MS = 500;
/**
 * What close() may take past the shutdown budget: stopping the kafkajs fetch loop, LeaveGroup and
 * disconnecting are not bounded by it and take seconds on a loaded machine. The bug this guards
 * against is close() waiting on the hung save (600 s, or forever).
 */
const LEAVE_MARGIN_MS = 10_000;

/** A store behind a black-holed connection: `save()` never settles. */
@Injectable()
class BlackHoledOffsetStore extends OffsetStore {
  static saves: TopicPartitionOffset[][] = [];

  async load(): Promise<ClaimedPartition[]> {
    return [];
  }

  save(_scope: unknown, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    BlackHoledOffsetStore.saves.push([...offsets]);
    return new Promise<void>(() => undefined);
  }
}

describe('an offset store whose save() never returns (S10)', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  /** An app on BlackHoledOffsetStore that processed 3 records of a new topic. */
  async function startOnBlackHoledStore(offsetStoreSaveTimeoutMs: number) {
    BlackHoledOffsetStore.saves = [];
    const topic = await kit.createTopic(unique('black-holed-store'), 1);
    const groupId = unique('black-holed-store-group');
    const processed: number[] = [];

    @Controller()
    class Handler {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() body: { n: number }) {
        processed.push(body.n);
      }
    }

    const logger = new CapturingLogger();
    const app = await startConsumerApp(
      {
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'black-holed-store', brokers: brokers() },
            offsetStore: BlackHoledOffsetStore,
            commitIntervalMs: 100,
            shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
            offsetStoreSaveTimeoutMs,
          }),
        ],
        providers: [BlackHoledOffsetStore],
        controllers: [Handler],
      },
      { logger },
    );
    apps.push(app);
    await kit.produce(
      topic,
      [0, 1, 2].map((n) => ({ value: JSON.stringify({ n }) })),
    );
    await waitFor('the records to be processed', () => processed.length === 3);
    return { app, logger, topic, processed };
  }

  it('each save times out and is tried again, and app.close() returns within shutdownTimeoutMs', async () => {
    const { app, logger, topic, processed } = await startOnBlackHoledStore(SAVE_TIMEOUT_MS);
    // The first save hangs; a later one is only made because the first one timed out.
    await waitFor('a second save after the first timed out', () => BlackHoledOffsetStore.saves.length >= 2, 10_000);
    expect(logger.has('warn', 'did not finish within offsetStoreSaveTimeoutMs=500')).toBe(true);
    await kit.produce(topic, [{ value: JSON.stringify({ n: 3 }) }]);
    await waitFor('a record after the hung saves to be processed', () => processed.length === 4);

    const closing = Date.now();
    await app.close();
    const took = Date.now() - closing;
    console.info(
      `S10: app.close() took ${took} ms with a store that never saves (shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS})`,
    );
    // The budget, plus leaving the group and disconnecting.
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS + LEAVE_MARGIN_MS);
    // The final commit gave up: on its save timeout, or at the end of the shutdown budget.
    expect(logger.has('warn', 'final commit')).toBe(true);
  });

  it('with a save timeout longer than the shutdown budget, the final commit is cut at shutdownTimeoutMs', async () => {
    const { app, logger } = await startOnBlackHoledStore(600_000);
    const closing = Date.now();
    await app.close();
    const took = Date.now() - closing;
    console.info(`S10: app.close() took ${took} ms (save timeout 600 s, shutdownTimeoutMs ${SHUTDOWN_TIMEOUT_MS})`);
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS + LEAVE_MARGIN_MS);
    expect(logger.has('warn', `final commit did not finish within shutdownTimeoutMs=${SHUTDOWN_TIMEOUT_MS}`)).toBe(
      true,
    );
  });
});
