import { Controller, ParseArrayPipe } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsInt, Min } from 'class-validator';
import {
  BatchError,
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaBatchContext,
  KafkaConsumerModule,
  NonRetriableError,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

interface Item {
  id: number;
}
interface SeenBatch {
  partition: number;
  ids: number[];
  offsets: string[];
  attempt: number;
}

const H = DEAD_LETTER_HEADERS;
/** What a handler saw of one batch. */
const seenBatch = (batch: Item[], ctx: KafkaBatchContext): SeenBatch => ({
  partition: ctx.partition,
  ids: batch.map((i) => i.id),
  offsets: ctx.offsets,
  attempt: ctx.attempt,
});
/** Module options: `attempts` in all with a 20 ms fixed backoff, then the dead-letter topic (created). */
const retryThenDeadLetter = (attempts: number) => ({
  retry: { attempts, backoff: { type: 'fixed', delayMs: 20 } },
  deadLetter: { createTopics: true },
});
const items = (from: number, count: number, key?: (id: number) => string) =>
  Array.from({ length: count }, (_, i) => ({
    ...(key && { key: key(from + i) }),
    value: JSON.stringify({ id: from + i }),
  }));

describe('batch handlers', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(readers.splice(0).map((reader) => reader.close()));
    await kit.close();
  });

  const start = async (controller: new (...args: never[]) => unknown, module: Record<string, unknown> = {}) => {
    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'batch', brokers: brokers() },
            fromBeginning: true,
            commitIntervalMs: 100,
            ...module,
          }),
        ],
        controllers: [controller],
      }),
    );
  };

  /** Reads `topic`'s dead-letter topic from the beginning (closed after the test). */
  const readDeadLetters = async (topic: string) => {
    const reader = await new TopicReader().start([`${topic}-dlt`]);
    readers.push(reader);
    return reader;
  };

  it('hands every record once in batches of at most maxSize from one partition, and commits each partition to its end', async () => {
    const topic = await kit.createTopic(unique('batch-whole'), 2);
    const groupId = unique('batch-whole');
    const seen: SeenBatch[] = [];

    @Controller()
    class Bulk {
      @ConsumeTopic(topic, { groupId, batch: { maxSize: 25, maxWaitMs: 200 } })
      take(@Payload() batch: Item[], @Ctx() ctx: KafkaBatchContext) {
        expect(ctx.offsets[0]).toBe(ctx.firstOffset);
        expect(ctx.offsets.at(-1)).toBe(ctx.lastOffset);
        expect(ctx.keys).toHaveLength(batch.length);
        seen.push(seenBatch(batch, ctx));
      }
    }
    await kit.produce(
      topic,
      items(0, 300, (id) => `k${id % 7}`),
    );
    await start(Bulk);

    await waitFor('300 records', () => seen.reduce((n, b) => n + b.ids.length, 0) >= 300, 60_000);
    const ids = seen.flatMap((b) => b.ids).toSorted((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 300 }, (_, i) => i)); // every record once
    for (const batch of seen) {
      expect(batch.ids.length).toBeGreaterThan(0);
      expect(batch.ids.length).toBeLessThanOrEqual(25);
      // Offsets of one batch are consecutive records of one partition, in order.
      const offsets = batch.offsets.map(Number);
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0] + i));
    }
    expect(seen.some((b) => b.ids.length > 1)).toBe(true);
    const ends = Object.fromEntries(
      (await (await kit.getAdmin()).fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]),
    );
    await waitFor('committed offsets at the end of each partition', async () => {
      const committed = await kit.committed(groupId, topic);
      return committed[0] === ends[0] && committed[1] === ends[1];
    });
  });

  it('BatchError(i): commits the records before i, retries record i alone and dead-letters it with its own headers, then goes on with the rest', async () => {
    const topic = await kit.createTopic(unique('batch-partial'), 1);
    const groupId = unique('batch-partial');
    const seen: SeenBatch[] = [];
    const processed: number[] = [];

    @Controller()
    class Partial {
      @ConsumeTopic(topic, { groupId, batch: { maxSize: 10, maxWaitMs: 500 } })
      take(@Payload() batch: Item[], @Ctx() ctx: KafkaBatchContext) {
        seen.push(seenBatch(batch, ctx));
        const bad = batch.findIndex((item) => item.id === 4);
        processed.push(...batch.slice(0, bad === -1 ? batch.length : bad).map((i) => i.id));
        if (bad !== -1) throw new BatchError(bad, new Error(`id 4 is poison`));
      }
    }
    await kit.produce(topic, items(0, 10));
    await start(Partial, retryThenDeadLetter(3));
    const reader = await readDeadLetters(topic);

    await waitFor('record 4 dead-lettered', () => reader.of(`${topic}-dlt`).length >= 1, 60_000);
    await waitFor('committed 10', async () => (await kit.committed(groupId, topic))[0] === '10');
    // 0..3 and 5..9 processed once each (ids 0..3 are never handed again once committed).
    expect(processed.toSorted((a, b) => a - b)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    // Record 4: its first attempt in a batch, then twice alone (attempts 2 and 3).
    const withFour = seen.filter((b) => b.ids.includes(4));
    expect(withFour.filter((b) => b.ids.length === 1).map((b) => b.attempt)).toEqual([2, 3]);
    expect(withFour[0].ids.length).toBeGreaterThan(1);
    const [dead] = reader.of(`${topic}-dlt`);
    expect(JSON.parse(dead.value!.toString())).toEqual({ id: 4 });
    expect(dead.headers[H.originalOffset]).toBe('4');
    expect(dead.headers[H.originalTopic]).toBe(topic);
    expect(dead.headers[H.exceptionMessage]).toContain('id 4 is poison');
    expect(reader.of(`${topic}-dlt`)).toHaveLength(1);
  });

  it('a plain throw fails the whole batch: it is retried as a whole, then every record of it is dead-lettered', async () => {
    const topic = await kit.createTopic(unique('batch-throw'), 1);
    const groupId = unique('batch-throw');
    const seen: SeenBatch[] = [];

    @Controller()
    class Failing {
      @ConsumeTopic(topic, { groupId, batch: { maxSize: 5, maxWaitMs: 500 } })
      take(@Payload() batch: Item[], @Ctx() ctx: KafkaBatchContext) {
        seen.push(seenBatch(batch, ctx));
        throw new Error('downstream refused the batch');
      }
    }
    await kit.produce(topic, items(0, 5));
    await start(Failing, retryThenDeadLetter(2));
    const reader = await readDeadLetters(topic);

    await waitFor('5 dead letters', () => reader.of(`${topic}-dlt`).length >= 5, 60_000);
    await waitFor('committed 5', async () => (await kit.committed(groupId, topic))[0] === '5');
    expect(seen.map((b) => [b.ids, b.attempt])).toEqual([
      [[0, 1, 2, 3, 4], 1],
      [[0, 1, 2, 3, 4], 2],
    ]);
    const dead = reader.of(`${topic}-dlt`);
    expect(dead.map((r) => r.headers[H.originalOffset])).toEqual(['0', '1', '2', '3', '4']);
    expect(dead.every((r) => r.headers[H.exceptionMessage] === 'downstream refused the batch')).toBe(true);
  });

  it('commit: manual commits nothing until ctx.commit(), which commits the batch and those before it', async () => {
    const topic = await kit.createTopic(unique('batch-manual'), 1);
    const groupId = unique('batch-manual');
    const ids: number[] = [];
    let commitNow = false;

    @Controller()
    class Manual {
      @ConsumeTopic(topic, { groupId, commit: 'manual', batch: { maxSize: 4 } })
      async take(@Payload() batch: Item[], @Ctx() ctx: KafkaBatchContext) {
        ids.push(...batch.map((i) => i.id));
        if (commitNow) await ctx.commit();
      }
    }
    await kit.produce(topic, items(0, 10));
    await start(Manual);
    await waitFor('10 records', () => ids.length >= 10);
    await kit.produce(topic, items(10, 1));
    await waitFor('record 10', () => ids.includes(10));
    // 11 records processed in several batches, with commitIntervalMs 100: nothing committed without ctx.commit().
    expect((await kit.committed(groupId, topic))[0]).toBe('-1');
    commitNow = true;
    await kit.produce(topic, items(11, 1));
    await waitFor('committed 12', async () => (await kit.committed(groupId, topic))[0] === '12');
    expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('runs pipes over the array: ParseArrayPipe validates each item; an invalid batch is not retried and is dead-lettered', async () => {
    const topic = await kit.createTopic(unique('batch-pipe'), 1);
    const groupId = unique('batch-pipe');
    class Order {
      @IsInt()
      @Min(1)
      amount!: number;
    }
    const received: unknown[][] = [];
    let calls = 0;

    @Controller()
    class Validated {
      @ConsumeTopic(topic, { groupId, batch: { maxSize: 3, maxWaitMs: 500 } })
      take(@Payload(new ParseArrayPipe({ items: Order })) orders: Order[]) {
        calls++;
        received.push(orders);
      }
    }
    await kit.produce(topic, [
      { value: JSON.stringify({ amount: 1 }) },
      { value: JSON.stringify({ amount: 2 }) },
      { value: JSON.stringify({ amount: 3 }) },
    ]);
    await start(Validated, retryThenDeadLetter(3));
    await waitFor('the valid batch', () => received.length === 1);
    expect(received[0].every((order) => order instanceof Order)).toBe(true);
    expect(received[0].map((order) => (order as Order).amount)).toEqual([1, 2, 3]);

    const reader = await readDeadLetters(topic);
    await kit.produce(topic, [{ value: JSON.stringify({ amount: 4 }) }, { value: JSON.stringify({ amount: -1 }) }]);
    await waitFor('the invalid batch dead-lettered', () => reader.of(`${topic}-dlt`).length >= 2, 60_000);
    await waitFor('committed 5', async () => (await kit.committed(groupId, topic))[0] === '5');
    expect(calls).toBe(1); // the pipe refused the second batch: the method never ran, and no retry (input error)
    expect(reader.of(`${topic}-dlt`).map((r) => r.headers[H.exceptionFqcn])).toEqual([
      'BadRequestException',
      'BadRequestException',
    ]);
  });

  it('a NonRetriableError as BatchError cause skips the retries of that record', async () => {
    const topic = await kit.createTopic(unique('batch-nonretriable'), 1);
    const groupId = unique('batch-nonretriable');
    let calls = 0;

    @Controller()
    class Strict {
      @ConsumeTopic(topic, { groupId, batch: { maxSize: 3, maxWaitMs: 500 } })
      take(@Payload() batch: Item[]) {
        calls++;
        const bad = batch.findIndex((item) => item.id === 1);
        if (bad !== -1) throw new BatchError(bad, new NonRetriableError('malformed'));
      }
    }
    await kit.produce(topic, items(0, 3));
    await start(Strict, retryThenDeadLetter(5));
    const reader = await readDeadLetters(topic);
    await waitFor('committed 3', async () => (await kit.committed(groupId, topic))[0] === '3', 60_000);
    await waitFor('record 1 dead-lettered', () => reader.of(`${topic}-dlt`).length === 1);
    expect(reader.of(`${topic}-dlt`)[0].headers[H.originalOffset]).toBe('1');
    expect(calls).toBe(2); // [0,1,2] then [2]: record 1 was not retried
  });
});
