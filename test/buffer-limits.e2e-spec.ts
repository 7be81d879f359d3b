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

  /**
   * Backlogs PARTITIONS × PER_PARTITION records of VALUE_BYTES and holds the handler on each
   * partition's first record until fetching paused every partition (a partition is paused once it
   * is ready only when its queue or the group's buffer is full) with the handler started on at
   * least `startedPartitions` partitions; then drains the backlog with a slow handler. Returns the
   * group's runner.
   */
  async function drainBacklog(limits: Partial<KafkaConsumerModuleOptions>, startedPartitions: number) {
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
    const started = new Set<number>();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));

    @Controller()
    class BacklogController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      async handle(@Payload() body: { n: number }, @Ctx() ctx: KafkaConsumerContext) {
        started.add(ctx.partition);
        await held;
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
    const paused = () =>
      runner.consumer
        .paused()
        .filter((tp) => tp.topic === topic)
        .flatMap((tp) => tp.partitions).length;
    try {
      await waitFor(
        `fetching paused on every partition, the handler held on ${startedPartitions} or more`,
        () => started.size >= startedPartitions && paused() === PARTITIONS,
        30_000,
      );
    } finally {
      release();
    }
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
    const runner = await drainBacklog({ maxQueuedMessagesPerPartition: maxQueued }, PARTITIONS);
    console.info(`count bound: peak ${runner.buffer.peakRecords} records, ${runner.buffer.peakBytes} bytes buffered`);
    // A batch is taken whole while the queue is below the bound; then fetching pauses.
    const perPartition = maxQueued - 1 + MAX_FETCH_RECORDS;
    expect(runner.buffer.peakRecords).toBeLessThanOrEqual(PARTITIONS * perPartition);
    expect(runner.buffer.peakBytes).toBeLessThanOrEqual(PARTITIONS * perPartition * (VALUE_BYTES + 100));
    // The bound was reached (every partition filled its queue before pausing), not merely
    // respected by a trickle of records.
    expect(runner.buffer.peakRecords).toBeGreaterThan(maxQueued);
    expect(runner.buffer.records).toBe(0);
    expect(runner.buffer.bytes).toBe(0);
  });

  it('never buffers more than maxBufferedBytes across the group, whatever the per-partition limit', async () => {
    const maxBufferedBytes = 60_000;
    // A partition may be refused room before its first record is queued (the buffer full of the
    // others' records): it is paused without its handler ever starting.
    const runner = await drainBacklog({ maxQueuedMessagesPerPartition: 1000, maxBufferedBytes }, 1);
    console.info(`bytes bound: peak ${runner.buffer.peakRecords} records, ${runner.buffer.peakBytes} bytes buffered`);
    expect(runner.buffer.maxBytes).toBe(maxBufferedBytes);
    expect(runner.buffer.peakBytes).toBeLessThanOrEqual(maxBufferedBytes);
    // Reached: the partitions paused because the buffer refused a record, not because fetching stopped early.
    expect(runner.buffer.peakBytes).toBeGreaterThan(maxBufferedBytes / 2);
    expect(runner.buffer.records).toBe(0);
  });
});
