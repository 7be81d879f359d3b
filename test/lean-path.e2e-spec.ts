import {
  Controller,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule, type KafkaConsumerContext } from 'nestjs-kafka-consumer';
import type { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

/** Every record an interceptor of the user's saw: `offset:attempt`. */
const intercepted: string[] = [];

@Injectable()
class SeeingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<KafkaConsumerContext>();
    intercepted.push(ctx.offset);
    return next.handle();
  }
}

interface Calls {
  /** `id:attempt` of each call. */
  attempts: string[];
  /** Whether each call came from the direct invocation (its synchronous stack). */
  direct: boolean[];
}

/** `ok` succeeds, `flaky` fails its first attempt, `bad` fails every attempt. */
function handle(calls: Calls, order: { id: string }, ctx: KafkaConsumerContext): void {
  calls.attempts.push(`${order.id}:${ctx.attempt}`);
  calls.direct.push(new Error('stack').stack!.includes('direct-invocation'));
  if (order.id === 'bad' || (order.id === 'flaky' && ctx.attempt === 1)) throw new Error(`${order.id} failed`);
}

describe('the lean record path', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
    intercepted.length = 0;
  });

  async function start(controller: new () => unknown, logger: CapturingLogger) {
    apps.push(
      await startConsumerApp(
        {
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'lean-path-test', brokers: brokers() },
              redelivery: { type: 'fixed', delayMs: 50 },
            }),
          ],
          controllers: [controller],
          providers: [SeeingInterceptor],
        },
        { logger },
      ),
    );
  }

  async function produceOrders(topic: string) {
    await kit.produce(topic, [
      { value: JSON.stringify({ id: 'ok' }) },
      { value: JSON.stringify({ id: 'flaky' }) },
      { value: JSON.stringify({ id: 'bad' }) },
    ]);
  }

  it('calls a default-stack handler directly: retry, commit and redelivery as through the interceptors, one log line per failed record', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('billing');
    const calls: Calls = { attempts: [], direct: [] };
    const logger = new CapturingLogger();

    @Controller()
    class BillingController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retry: { attempts: 2, backoff: { delayMs: 20 } } })
      bill(@Payload() order: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        handle(calls, order, ctx);
      }
    }
    await start(BillingController, logger);
    await produceOrders(topic);

    await waitFor('bad delivered again', () => calls.attempts.filter((a) => a === 'bad:1').length >= 2, 60_000);
    await waitFor('the commit past flaky', async () => (await kit.committed(groupId, topic))[0] === '2', 60_000);
    expect(calls.attempts.slice(0, 5)).toEqual(['ok:1', 'flaky:1', 'flaky:2', 'bad:1', 'bad:2']);
    expect(calls.direct.every(Boolean)).toBe(true);
    // The failed record is logged by this library only, one line per delivery: a warning at its first
    // failure and at every tenth redelivery (debug in between; under load it may have reached ten).
    // Nest's RpcExceptionsHandler, which logs an unhandled error with its stack, is not involved.
    const failureLines = logger.lines.filter((line) => line.message.includes('bad failed'));
    expect(failureLines.map((line) => line.message.split(': record ')[1]?.split(' ')[0])).toEqual(
      failureLines.map(() => `${topic}[0]@2`),
    );
    expect(failureLines[0].level).toBe('warn');
    expect(failureLines[0].message).toContain(`Group "${groupId}": record ${topic}[0]@2`);
    expect(failureLines[0].message).not.toContain('delivered again');
    const counts = failureLines.map((line) =>
      Number(/\(delivered again (\d+) time\(s\) so far\)/.exec(line.message)?.[1] ?? 0),
    );
    expect(counts).toEqual(failureLines.map((_, i) => i));
    for (const [i, line] of failureLines.entries()) expect(line.level).toBe(i % 10 === 0 ? 'warn' : 'debug');
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it("runs a handler with an interceptor of the user's through Nest's pipeline: the interceptor sees every record", async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('billing');
    const calls: Calls = { attempts: [], direct: [] };
    const logger = new CapturingLogger();

    @Controller()
    @UseInterceptors(SeeingInterceptor)
    class AuditedController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retry: { attempts: 2, backoff: { delayMs: 20 } } })
      bill(@Payload() order: { id: string }, @Ctx() ctx: KafkaConsumerContext) {
        handle(calls, order, ctx);
      }
    }
    await start(AuditedController, logger);
    await produceOrders(topic);

    await waitFor('bad delivered again', () => calls.attempts.filter((a) => a === 'bad:1').length >= 2, 60_000);
    await waitFor('the commit past flaky', async () => (await kit.committed(groupId, topic))[0] === '2', 60_000);
    expect(calls.attempts.slice(0, 5)).toEqual(['ok:1', 'flaky:1', 'flaky:2', 'bad:1', 'bad:2']);
    expect(calls.direct.some(Boolean)).toBe(false);
    // Outermost (a class interceptor): once per delivery, the in-process retry happens inside it.
    expect(intercepted.slice(0, 4)).toEqual(['0', '1', '2', '2']);
  });
});
