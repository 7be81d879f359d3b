import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

describe('commit after processing', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('commits last processed offset + 1, holds a failing record uncommitted and redelivers it with growing delays while another partition advances', async () => {
    const topic = await kit.createTopic(unique('payments'), 2);
    const groupId = unique('ledger');
    let healed = false;
    const processed: Array<{ id: string; partition: number }> = [];
    const poisonAttempts: number[] = [];

    @Controller()
    class LedgerController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retry: false })
      apply(@Payload() body: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        if (body.id === 'poison' && !healed) {
          poisonAttempts.push(Date.now());
          throw new Error('ledger unavailable for poison');
        }
        processed.push({ id: body.id, partition: ctx.partition });
      }
    }

    const logger = new CapturingLogger();
    apps.push(
      await startConsumerApp(
        {
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'commit-test', brokers: brokers() },
              redelivery: { delayMs: 100, multiplier: 2, maxDelayMs: 1000 },
            }),
          ],
          controllers: [LedgerController],
        },
        { logger },
      ),
    );

    const value = (id: string) => JSON.stringify({ id });
    await kit.produce(topic, [
      { partition: 0, value: value('p0-0') },
      { partition: 0, value: value('p0-1') },
      { partition: 0, value: value('poison') },
      { partition: 0, value: value('p0-3') },
    ]);
    await kit.produce(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ partition: 1, value: value(`p1-${i}`) })),
    );

    // Partition 1 is fully processed and committed (20 = last offset 19 + 1) while partition 0 is stuck.
    await waitFor('partition 1 committed to 20 and poison redelivered 4 times', async () => {
      const committed = await kit.committed(groupId, topic);
      return committed[1] === '20' && committed[0] === '2' && poisonAttempts.length >= 4;
    });
    expect(processed.filter((p) => p.partition === 1)).toHaveLength(20);
    // Order per partition: nothing after the failing record was processed.
    expect(processed.filter((p) => p.partition === 0).map((p) => p.id)).toEqual(['p0-0', 'p0-1']);
    // Growing redelivery delays: 100, 200, 400 ms (lower bounds; timers never fire early).
    const gaps = poisonAttempts.slice(1, 4).map((t, i) => t - poisonAttempts[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
    expect(gaps[2]).toBeGreaterThanOrEqual(395);
    expect(logger.has('warn', `${topic}[0]@2`)).toBe(true);
    expect(logger.has('warn', 'ledger unavailable for poison')).toBe(true);

    healed = true;
    await waitFor('partition 0 committed to 4 after the record succeeds', async () => {
      const committed = await kit.committed(groupId, topic);
      return committed[0] === '4';
    });
    expect(processed.filter((p) => p.partition === 0).map((p) => p.id)).toEqual(['p0-0', 'p0-1', 'poison', 'p0-3']);
  });
});
