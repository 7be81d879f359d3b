import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const module = (clientId: string) =>
  KafkaConsumerModule.forRoot({
    client: { clientId, brokers: brokers() },
    deadLetter: { enabled: true, createTopics: true },
  });

interface Seen {
  readonly id: string;
  readonly topic: string;
  readonly at: number;
  /** a1 on its retry topic: whether what it waited for happened (false: it waited 30 s in vain). */
  readonly released?: boolean;
}

/**
 * Waits until `released()` holds, at most 30 s: true if it did, false if not (the main topic was
 * held up behind a1). Throws once the handler is aborted (a shutdown that ran out of time).
 */
async function until(released: () => Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (!(await released().catch(() => false))) {
    signal.throwIfAborted();
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * A controller whose handler fails record `a1` on the main topic only, logging what it processed.
 * On the retry topic a1 waits until `released()` (the test's later records are handled on the main
 * topic): however slow a restart or a partition move, a1 is still parked when they are read.
 */
function ordersController(
  topic: string,
  groupId: string,
  delayMs: number,
  processed: Seen[],
  released: () => Promise<boolean>,
) {
  @Controller()
  class OrdersController {
    @ConsumeTopic(topic, {
      groupId,
      fromBeginning: true,
      retryTopics: { delaysMs: [delayMs], createTopics: true, keyOrdered: true },
    })
    async handle(@Payload() order: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
      if (order.id === 'a1' && ctx.topic === topic) throw new Error('payment service unavailable');
      const waited = order.id === 'a1' ? await until(released, ctx.signal) : undefined;
      processed.push({ id: order.id, topic: ctx.topic, at: Date.now(), released: waited });
    }
  }
  return OrdersController;
}

const record = (key: string, id: string) => ({ partition: 0, key, value: JSON.stringify({ id }) });
const ids = (seen: Seen[], prefix: string) => seen.filter((s) => s.id.startsWith(prefix)).map((s) => s.id);

describe('key-ordered retry topics (retryTopics.keyOrdered)', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });
  /** Whether the group's committed offsets on the main topic are `offsets` (one per partition). */
  const committedUpTo = (topic: string, groupId: string, offsets: string[]) => async () => {
    const committed = await kit.committed(groupId, topic);
    return offsets.every((offset, partition) => committed[partition] === offset);
  };

  it("holds a failing key's later records behind it in order while other keys go on", async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('billing');
    const processed: Seen[] = [];
    // a1's retry waits until all five records are handled on the main topic.
    const controller = ordersController(topic, groupId, 3000, processed, committedUpTo(topic, groupId, ['5']));
    apps.push(await startConsumerApp({ imports: [module('key-ordered-test')], controllers: [controller] }));

    await kit.produce(topic, [
      record('A', 'a1'),
      record('A', 'a2'),
      record('B', 'b1'),
      record('A', 'a3'),
      record('B', 'b2'),
    ]);

    await waitFor('every record processed', () => processed.length === 5, 60_000);
    // Key A keeps its order: a2 and a3 followed a1 into the retry topic and came after it.
    expect(ids(processed, 'a')).toEqual(['a1', 'a2', 'a3']);
    const retryTopic = `${topic}-retry-3000`;
    expect(processed.filter((s) => s.id.startsWith('a')).map((s) => s.topic)).toEqual([
      retryTopic,
      retryTopic,
      retryTopic,
    ]);
    // Key B was not held: both its records were processed on the main topic (before a1's retry, which
    // waited for them: had they been forwarded behind a1, they would have run after it, on the retry topic).
    const a1 = processed.find((s) => s.id === 'a1')!;
    expect(a1.released, 'the main topic went on while a1 waited on its retry topic').toBe(true);
    for (const b of processed.filter((s) => s.id.startsWith('b'))) {
      expect(b.topic).toBe(topic);
      expect(b.at).toBeLessThan(a1.at);
    }
  });

  it('keeps a parked key parked across a restart: its later records still come after the waiting one', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('billing');
    const retryTopic = `${topic}-retry-8000`;
    const processed: Seen[] = [];
    // a1's retry waits until a2 and b1 are handled on the main topic (after the restart).
    const controller = ordersController(topic, groupId, 8000, processed, committedUpTo(topic, groupId, ['3']));
    const first = await startConsumerApp({ imports: [module('key-ordered-restart')], controllers: [controller] });
    apps.push(first);

    await kit.produce(topic, [record('A', 'a1')]);
    await waitFor('a1 forwarded to the retry topic', async () => (await kit.committed(groupId, topic))[0] === '1');
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    // While nothing runs, the key's next record and another key's arrive.
    await kit.produce(topic, [record('A', 'a2'), record('B', 'b1')]);

    apps.push(await startConsumerApp({ imports: [module('key-ordered-restart')], controllers: [controller] }));
    await waitFor('a1, a2 and b1 processed', () => processed.length === 3, 60_000);

    expect(ids(processed, 'a')).toEqual(['a1', 'a2']);
    expect(processed.filter((s) => s.id.startsWith('a')).map((s) => s.topic)).toEqual([retryTopic, retryTopic]);
    // Key B was not held: b1 ran on the main topic, before a1's retry (which waited for it).
    const a1 = processed.find((s) => s.id === 'a1')!;
    expect(a1.released, 'the main topic went on while a1 waited on its retry topic').toBe(true);
    const b1 = processed.find((s) => s.id === 'b1')!;
    expect(b1.topic).toBe(topic);
    expect(b1.at).toBeLessThan(a1.at);
  });

  it('keeps a parked key parked when its partition moves to a member that had already read the retry topics', async () => {
    const topic = await kit.createTopic(unique('orders'), 2);
    const groupId = unique('billing');
    const retryTopic = `${topic}-retry-15000`;
    const processed: Seen[] = [];
    // a1's retry waits until a2 (partition 0) and b1 (partition 1) are handled on the main topic.
    const released = committedUpTo(topic, groupId, ['2', '2']);
    const controller = ordersController(topic, groupId, 15_000, processed, released);
    const members = [
      await startConsumerApp({ imports: [module('key-ordered-move-1')], controllers: [controller] }),
      await startConsumerApp({ imports: [module('key-ordered-move-2')], controllers: [controller] }),
    ];
    apps.push(...members);
    const owns = (app: ConsumerApp, partition: number) =>
      app.server.groups
        .get(groupId)!
        .assignment()
        .some((tp) => tp.topic === topic && tp.partition === partition);
    const [owner, other] = (await waitFor(
      'partitions 0 and 1 on different members',
      () => {
        const found = members.find((m) => owns(m, 0));
        const rest = members.find((m) => m !== found && owns(m, 1));
        return found && rest ? ([found, rest] as const) : undefined;
      },
      60_000,
    ))!;

    // The other member handles a record first: its parked keys are read (none yet) before a1 is parked.
    await kit.produce(topic, [{ partition: 1, key: 'B', value: JSON.stringify({ id: 'b0' }) }]);
    await waitFor('b0 processed', () => processed.length === 1);
    await kit.produce(topic, [record('A', 'a1')]);
    await waitFor('a1 forwarded to the retry topic', async () => (await kit.committed(groupId, topic))[0] === '1');
    // Partition 0 moves: its owner leaves the group.
    await owner.close();
    apps.splice(apps.indexOf(owner), 1);
    await waitFor('partition 0 moved to the other member', () => owns(other, 0), 60_000);
    expect(
      processed.map((s) => s.id),
      'a1 still waits in its retry topic',
    ).toEqual(['b0']);
    await kit.produce(topic, [record('A', 'a2'), { partition: 1, key: 'B', value: JSON.stringify({ id: 'b1' }) }]);

    await waitFor('a1, a2 and b1 processed', () => processed.length === 4, 90_000);
    // The new owner read the parked keys again on the assignment: a2 followed a1 instead of overtaking it.
    expect(ids(processed, 'a')).toEqual(['a1', 'a2']);
    expect(processed.filter((s) => s.id.startsWith('a')).map((s) => s.topic)).toEqual([retryTopic, retryTopic]);
    // Key B was not held: b1 ran on the main topic, before a1's retry (which waited for it).
    const a1 = processed.find((s) => s.id === 'a1')!;
    expect(a1.released, 'the main topic went on while a1 waited on its retry topic').toBe(true);
    const b1 = processed.find((s) => s.id === 'b1')!;
    expect(b1.topic).toBe(topic);
    expect(b1.at).toBeLessThan(a1.at);
  });
});
