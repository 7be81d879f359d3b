import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

/** I/O that honours an AbortSignal, as fetch() or a database driver does. */
function io(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}

describe('ctx.signal at shutdown (R5)', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  async function startSlowApp(shutdownTimeoutMs: number, ioMs: number) {
    const topic = await kit.createTopic(unique('signal'), 1);
    const groupId = unique('signal-group');
    const outcomes: string[] = [];
    let started = 0;
    const abortedAt: number[] = [];

    @Controller()
    class SlowController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retry: false })
      async handle(@Payload() _body: unknown, @Ctx() ctx: KafkaConsumerContext) {
        started = Date.now();
        try {
          await io(ioMs, ctx.signal);
          outcomes.push('finished');
        } catch (error) {
          abortedAt.push(Date.now());
          outcomes.push(String((error as Error).message));
          throw error;
        }
      }
    }

    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'shutdown-signal', brokers: brokers() },
          shutdownTimeoutMs,
          redelivery: { delayMs: 60_000 },
        }),
      ],
      controllers: [SlowController],
    });
    apps.push(app);
    await kit.produce(topic, [{ value: '{}' }]);
    await waitFor('the handler to start', () => started > 0);
    return { app, topic, groupId, outcomes, abortedAt };
  }

  it('is not aborted when shutdown starts: a handler passing it to its I/O finishes, and its offset is committed', async () => {
    const { app, topic, groupId, outcomes } = await startSlowApp(10_000, 1500);
    await app.close();
    expect(outcomes).toEqual(['finished']);
    expect((await kit.committed(groupId, topic))[0]).toBe('1');
  });

  it('is aborted once shutdownTimeoutMs runs out; the record is not committed', async () => {
    const { app, topic, groupId, outcomes, abortedAt } = await startSlowApp(1000, 60_000);
    const closing = Date.now();
    await app.close();
    const took = Date.now() - closing;
    console.info(`R5: close() took ${took} ms with shutdownTimeoutMs 1000 and a 60 s handler`);
    expect(outcomes).toEqual(['aborted']);
    // Aborted when the budget ran out, not when shutdown started.
    expect(abortedAt[0] - closing).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    expect((await kit.committed(groupId, topic))[0]).not.toBe('1');
  });
});
