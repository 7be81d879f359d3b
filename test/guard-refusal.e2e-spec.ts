import { Controller, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerModule,
  type ConsumeTopicOptions,
  type KafkaConsumerContext,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const guardCalls: string[] = [];
/** Times the guard was asked about the record at offset 1. */
const guardCallsOfOffset1 = () => guardCalls.filter((c) => c.startsWith('1:')).length;

/** Lets only records of tenant acme through. */
@Injectable()
class TenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const ctx = context.switchToRpc().getContext<KafkaConsumerContext>();
    guardCalls.push(`${ctx.offset}:${String(ctx.headers['tenant'])}`);
    return ctx.headers['tenant'] === 'acme';
  }
}

describe('a record a guard refuses', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
    guardCalls.length = 0;
  });

  async function start(options: ConsumeTopicOptions, deadLetter = false) {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('shipping');
    const received: string[] = [];
    const logger = new CapturingLogger();

    @Controller()
    @UseGuards(TenantGuard)
    class ShippingController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, ...options })
      ship(@Payload() order: { id: string }) {
        received.push(order.id);
      }
    }
    apps.push(
      await startConsumerApp(
        {
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'guard-refusal-test', brokers: brokers() },
              redelivery: { type: 'fixed', delayMs: 50 },
              deadLetter: deadLetter && { createTopics: true },
            }),
          ],
          controllers: [ShippingController],
        },
        { logger },
      ),
    );
    await kit.produce(topic, [
      { value: JSON.stringify({ id: 'a' }), headers: { tenant: 'acme' } },
      { value: JSON.stringify({ id: 'intruder' }), headers: { tenant: 'evil' } },
      { value: JSON.stringify({ id: 'b' }), headers: { tenant: 'acme' } },
    ]);
    return { topic, groupId, received, logger };
  }

  it('is a filter by default: committed without processing, logged once, and the partition goes on', async () => {
    const { topic, groupId, received, logger } = await start({});
    await waitFor('the record after the refused one', () => received.includes('b'));
    await waitFor('the commit past all three', async () => (await kit.committed(groupId, topic))[0] === '3');
    expect(received).toEqual(['a', 'b']);
    // Refused once, never retried or delivered again.
    expect(guardCalls.filter((call) => call.startsWith('1:'))).toEqual(['1:evil']);
    const refusals = logger.lines.filter((line) => line.message.includes('refused by a guard'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0].level).toBe('warn');
    expect(refusals[0].message).toContain(`Group "${groupId}": record ${topic}[0]@1`);
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it("is dead-lettered with refused: 'dead-letter', and the partition goes on", async () => {
    const { topic, groupId, received } = await start({ refused: 'dead-letter' }, true);
    const reader = await new TopicReader().start([`${topic}-dlt`]);
    readers.push(reader);
    await waitFor('the dead-letter record', () => reader.of(`${topic}-dlt`).length === 1);
    await waitFor('the commit past all three', async () => (await kit.committed(groupId, topic))[0] === '3');
    expect(received).toEqual(['a', 'b']);
    const [deadLetter] = reader.of(`${topic}-dlt`);
    expect(deadLetter.value?.toString()).toBe(JSON.stringify({ id: 'intruder' }));
    expect(deadLetter.headers[DEAD_LETTER_HEADERS.originalOffset]).toBe('1');
    expect(deadLetter.headers[DEAD_LETTER_HEADERS.exceptionMessage]).toBe('Forbidden resource');
  });

  it("blocks its partition with refused: 'redeliver' (the record is delivered again)", async () => {
    const { topic, groupId, received } = await start({ refused: 'redeliver' });
    await waitFor('the record before it committed', async () => (await kit.committed(groupId, topic))[0] === '1');
    const callsAtCommit = guardCallsOfOffset1();
    await waitFor('the refused record delivered again', () => guardCallsOfOffset1() >= Math.max(callsAtCommit + 2, 3));
    // Nothing past it was processed or committed.
    expect(received).toEqual(['a']);
    expect((await kit.committed(groupId, topic))[0]).toBe('1');
  });
});
