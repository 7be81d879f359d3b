import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerModule,
  type ConsumeTopicOptions,
  type KafkaConsumerContext,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

class PaymentDeclinedError extends Error {}

/** The redelivery count a failure report names ("delivered again n time(s) so far"), 0 when it names none. */
function redeliveriesIn(message: string): number {
  return Number(/ \(delivered again (\d+) time\(s\) so far\)\. Cause:/.exec(message)?.[1] ?? 0);
}

describe('a record whose retries are used up and that has nowhere to go', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  async function start(options: ConsumeTopicOptions) {
    const topic = await kit.createTopic(unique('payments'), 1);
    const groupId = unique('ledger');
    const processed: number[] = [];
    const calls = { poison: 0 };
    const logger = new CapturingLogger();

    @Controller()
    class LedgerController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, ...options })
      apply(@Payload() payment: { id: number }) {
        if (payment.id === 1) {
          calls.poison++;
          throw new PaymentDeclinedError(`payment 1 declined (call ${calls.poison})`);
        }
        processed.push(payment.id);
      }
    }
    apps.push(
      await startConsumerApp(
        {
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'exhausted-test', brokers: brokers() },
              retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
              redelivery: { type: 'fixed', delayMs: 50 },
            }),
          ],
          controllers: [LedgerController],
        },
        { logger },
      ),
    );
    await kit.produce(
      topic,
      [0, 1, 2].map((id) => ({ value: JSON.stringify({ id }) })),
    );
    return { topic, groupId, processed, calls, logger };
  }

  it('is delivered again by default, its partition blocked and reported', async () => {
    const { topic, groupId, processed, calls, logger } = await start({});
    const reports = () => logger.lines.filter((l) => l.message.includes(`record ${topic}[0]@1 `));
    // 2 attempts per delivery: 22 calls are 11 deliveries, the last one after 10 redeliveries.
    await waitFor('eleven deliveries of the failing record', () => calls.poison >= 22);
    await waitFor('the report of the tenth redelivery', () => reports().some((l) => redeliveriesIn(l.message) === 10));
    await waitFor('the commit up to the failing record', async () => (await kit.committed(groupId, topic))[0] === '1');
    expect(processed).toEqual([0]);
    const lines = reports();
    expect(lines[0]).toMatchObject({ level: 'warn' });
    expect(lines[0].message).toContain(`Group "${groupId}"`);
    expect(lines[0].message).toContain('stays uncommitted and its partition waits to deliver it again. Cause:');
    // One line per delivery, in order. A warning at the first failure and at every tenth redelivery
    // (more may have happened by now under load), debug in between.
    expect(lines.map((l) => redeliveriesIn(l.message))).toEqual(lines.map((_, i) => i));
    for (const line of lines) {
      expect(line.level, line.message).toBe(redeliveriesIn(line.message) % 10 === 0 ? 'warn' : 'debug');
    }
  });

  it('is skipped after skipAfterRedeliveries, once onSkip got the record and the error; a failing onSkip keeps it', async () => {
    const hookCalls: Array<{ error: unknown; offset: string; topic: string; groupId: string }> = [];
    const { topic, groupId, processed, calls, logger } = await start({
      exhausted: {
        skipAfterRedeliveries: 1,
        onSkip: (error: unknown, ctx: KafkaConsumerContext) => {
          hookCalls.push({ error, offset: ctx.offset, topic: ctx.topic, groupId: ctx.groupId });
          if (hookCalls.length === 1) throw new Error('parking lot unavailable');
        },
      },
    });
    await waitFor('the record after the skipped one', () => processed.includes(2));
    await waitFor('the commit past all three', async () => (await kit.committed(groupId, topic))[0] === '3');
    // First delivery, then redelivery 1 (hook fails: kept), then redelivery 2 (hook succeeds: skipped).
    expect(calls.poison).toBe(6);
    expect(hookCalls).toHaveLength(2);
    expect(hookCalls[1]).toMatchObject({ offset: '1', topic, groupId });
    expect(hookCalls[1].error).toBeInstanceOf(PaymentDeclinedError);
    expect((hookCalls[1].error as Error).message).toBe('payment 1 declined (call 6)');
    expect(processed).toEqual([0, 2]);
    expect(logger.has('warn', `record ${topic}[0]@1 was not skipped: exhausted.onSkip failed`)).toBe(true);
    expect(logger.has('warn', `record ${topic}[0]@1 failed after 2 redelivery(ies) and is skipped`)).toBe(true);
  });
});
