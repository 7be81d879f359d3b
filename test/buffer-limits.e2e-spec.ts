import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerContext,
  KafkaConsumerModule,
  type KafkaConsumerModuleOptions,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const PARTITIONS = 3;
const PER_PARTITION = 400;
const VALUE_BYTES = 1000;
/** Records per produce request and partition: the broker's record batches stay small. */
const PRODUCE_CHUNK = 10;
/** Small fetches (kafkajs default 1 MiB would fetch a whole partition's backlog at once). */
const MAX_BYTES_PER_PARTITION = 16_384;
/** Most records one fetched batch of a partition can hold. */
const MAX_FETCH_RECORDS = Math.ceil(MAX_BYTES_PER_PARTITION / VALUE_BYTES);

describe('buffered records are bounded per partition and per group (M1)', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  /** Backlogs PARTITIONS × PER_PARTITION records of VALUE_BYTES, drains them with a slow handler, returns the group's runner. */
  async function drainBacklog(limits: Partial<KafkaConsumerModuleOptions>) {
    const topic = await kit.createTopic(unique('buffered'), PARTITIONS);
    const groupId = unique('buffered-group');
    for (let first = 0; first < PER_PARTITION; first += PRODUCE_CHUNK) {
      await kit.produce(
        topic,
        Array.from({ length: PARTITIONS * PRODUCE_CHUNK }, (_, i) => ({
          partition: i % PARTITIONS,
          value: JSON.stringify({ n: first + Math.floor(i / PARTITIONS), pad: 'x'.repeat(VALUE_BYTES - 20) }),
        })),
      );
    }
    const seen = new Map<number, number[]>();

    @Controller()
    class BacklogController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      async handle(@Payload() body: { n: number }, @Ctx() ctx: KafkaConsumerContext) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.set(ctx.partition, [...(seen.get(ctx.partition) ?? []), body.n]);
      }
    }

    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'buffer-limits', brokers: brokers() },
          consumer: { maxBytesPerPartition: MAX_BYTES_PER_PARTITION },
          ...limits,
        }),
      ],
      controllers: [BacklogController],
    });
    apps.push(app);
    const runner = app.server.groups.get(groupId)!;
    await waitFor(
      'the backlog to drain',
      () => [...seen.values()].reduce((sum, list) => sum + list.length, 0) === PARTITIONS * PER_PARTITION,
      90_000,
    );
    for (const list of seen.values()) expect(list).toEqual(Array.from({ length: PER_PARTITION }, (_, n) => n));
    await waitFor('every offset to be committed', async () =>
      Object.values(await kit.committed(groupId, topic)).every((offset) => offset === String(PER_PARTITION)),
    );
    return runner;
  }

  it('buffers at most maxQueuedMessagesPerPartition - 1 records plus one fetched batch per partition, and releases them once processed', async () => {
    const maxQueued = 50;
    const runner = await drainBacklog({ maxQueuedMessagesPerPartition: maxQueued });
    console.info(`count bound: peak ${runner.buffer.peakRecords} records, ${runner.buffer.peakBytes} bytes buffered`);
    // A batch is taken whole while the queue is below the bound; then fetching pauses.
    const perPartition = maxQueued - 1 + MAX_FETCH_RECORDS;
    expect(runner.buffer.peakRecords).toBeLessThanOrEqual(PARTITIONS * perPartition);
    expect(runner.buffer.peakBytes).toBeLessThanOrEqual(PARTITIONS * perPartition * (VALUE_BYTES + 100));
    // The bound was reached, not merely respected by a trickle of records.
    expect(runner.buffer.peakRecords).toBeGreaterThan(maxQueued);
    expect(runner.buffer.records).toBe(0);
    expect(runner.buffer.bytes).toBe(0);
  });

  it('never buffers more than maxBufferedBytes across the group, whatever the per-partition limit', async () => {
    const maxBufferedBytes = 60_000;
    const runner = await drainBacklog({ maxQueuedMessagesPerPartition: 1000, maxBufferedBytes });
    console.info(`bytes bound: peak ${runner.buffer.peakRecords} records, ${runner.buffer.peakBytes} bytes buffered`);
    expect(runner.buffer.maxBytes).toBe(maxBufferedBytes);
    expect(runner.buffer.peakBytes).toBeLessThanOrEqual(maxBufferedBytes);
    expect(runner.buffer.peakBytes).toBeGreaterThan(maxBufferedBytes / 2);
    expect(runner.buffer.records).toBe(0);
  });
});
