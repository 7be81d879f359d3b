import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const PARTITIONS = 3;

describe("concurrency mode 'unordered' and buffering with records in flight", () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('processes every record with more than one, and at most maxInFlight, running at once', async () => {
    const topic = await kit.createTopic(unique('unordered'), PARTITIONS);
    const groupId = unique('unordered');
    const total = 600;
    // Every record has the same key: key mode would run them one at a time per partition.
    await kit.produce(
      topic,
      Array.from({ length: total }, (_, n) => ({ key: 'same', partition: n % PARTITIONS, value: String(n) })),
    );
    const seen = new Set<number>();
    let running = 0;
    let maxRunning = 0;

    @Controller()
    class UnorderedController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        deserializer: 'string',
        concurrency: { mode: 'unordered', maxInFlight: 8 },
      })
      async handle(@Payload() value: string) {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.add(Number(value));
        running--;
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'unordered', brokers: brokers() } })],
        controllers: [UnorderedController],
      }),
    );
    await waitFor('every record processed', () => seen.size === total, 60_000);
    console.info(`unordered: at most ${maxRunning} records ran at once (maxInFlight 8)`);
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(8);
    await waitFor('every offset committed', async () =>
      Object.values(await kit.committed(groupId, topic)).every((offset) => offset === String(total / PARTITIONS)),
    );
  });

  it('with a slow handler, buffers no more than the count and byte bounds, whatever runs in flight', async () => {
    const topic = await kit.createTopic(unique('conc-buffer'), PARTITIONS);
    const groupId = unique('conc-buffer');
    const perPartition = 200;
    const valueBytes = 1000;
    const maxQueued = 30;
    const maxBytesPerPartition = 16_384;
    const maxBufferedBytes = 80_000;
    for (let first = 0; first < perPartition; first += 10) {
      await kit.produce(
        topic,
        Array.from({ length: PARTITIONS * 10 }, (_, i) => ({
          key: `k${i % 7}`,
          partition: i % PARTITIONS,
          value: 'x'.repeat(valueBytes),
        })),
      );
    }
    let processed = 0;

    @Controller()
    class SlowController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        deserializer: 'buffer',
        concurrency: { mode: 'key', maxInFlight: 10 },
      })
      async handle(@Ctx() ctx: KafkaConsumerContext) {
        void ctx.offset;
        await new Promise((resolve) => setTimeout(resolve, 10));
        processed++;
      }
    }

    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'conc-buffer', brokers: brokers() },
          consumer: { maxBytesPerPartition },
          maxQueuedMessagesPerPartition: maxQueued,
          maxBufferedBytes,
        }),
      ],
      controllers: [SlowController],
    });
    apps.push(app);
    const runner = app.server.groups.get(groupId)!;
    await waitFor('every record processed', () => processed === PARTITIONS * perPartition, 60_000).catch(
      (error: unknown) => {
        // What each partition holds and whether kafkajs fetches it: the first thing to read if this stalls.
        const internals = runner as unknown as {
          partitions: { workers: Map<string, { key: string; queued: number; inFlight: number; state: string }> };
          kafka: { consumer: { paused(): unknown } };
        };
        const workers = [...internals.partitions.workers.values()].map(
          (w) => `${w.key} ${w.state} queued=${w.queued} inFlight=${w.inFlight}`,
        );
        throw new Error(
          `${String(error)}: processed ${processed}, buffer ${runner.buffer.records} records/${runner.buffer.bytes} bytes; ` +
            `${workers.join('; ')}; kafkajs paused ${JSON.stringify(internals.kafka.consumer.paused())}; ` +
            `positions ${JSON.stringify(runner.positions())}`,
        );
      },
    );
    const { peakRecords, peakBytes } = runner.buffer;
    console.info(`concurrent buffering: peak ${peakRecords} records, ${peakBytes} bytes`);
    // Records in flight stay buffered until settled, so they count against both bounds.
    const fetchRecords = Math.ceil(maxBytesPerPartition / valueBytes);
    expect(peakRecords).toBeLessThanOrEqual(PARTITIONS * (maxQueued - 1 + fetchRecords));
    expect(peakBytes).toBeLessThanOrEqual(maxBufferedBytes);
    expect(peakRecords).toBeGreaterThan(maxQueued);
    expect(runner.buffer.records).toBe(0);
    expect(runner.buffer.bytes).toBe(0);
  });

  it('shutdown with many records in flight: they finish, and the contiguous finished offset is committed', async () => {
    const topic = await kit.createTopic(unique('conc-shutdown'), 1);
    const groupId = unique('conc-shutdown');
    await kit.produce(
      topic,
      Array.from({ length: 200 }, (_, n) => ({ value: String(n) })),
    );
    const started = new Set<number>();
    const finished = new Set<number>();

    @Controller()
    class SlowController {
      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        deserializer: 'string',
        concurrency: { mode: 'unordered', maxInFlight: 40 },
      })
      async handle(@Payload() value: string) {
        started.add(Number(value));
        // Later records finish first: completions arrive out of offset order.
        await new Promise((resolve) => setTimeout(resolve, 800 - (Number(value) % 40) * 10));
        finished.add(Number(value));
      }
    }

    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'conc-shutdown', brokers: brokers() },
          shutdownTimeoutMs: 20_000,
        }),
      ],
      controllers: [SlowController],
    });
    apps.push(app);
    await waitFor('many records in flight', () => started.size - finished.size >= 20, 30_000);
    await app.close();
    expect(started.size - finished.size).toBe(0);
    expect([...finished].toSorted((a, b) => a - b)).toEqual([...started].toSorted((a, b) => a - b));
    let contiguous = 0;
    while (finished.has(contiguous)) contiguous++;
    expect((await kit.committed(groupId, topic))[0]).toBe(String(contiguous));
    expect(contiguous).toBeGreaterThanOrEqual(20);
  });
});
