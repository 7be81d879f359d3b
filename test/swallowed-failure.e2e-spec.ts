import {
  Catch,
  Controller,
  Injectable,
  type CallHandler,
  type ExceptionFilter,
  type NestInterceptor,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, DeadLetterPublishError, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { catchError, of, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

/** What a user sees of the errors their global layers swallowed. */
const swallowed: unknown[] = [];

/** The common "ack and move on" interceptor. */
@Injectable()
class SwallowingInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        swallowed.push(error);
        return of(null);
      }),
    );
  }
}

/** The same as a catch-all exception filter. */
@Catch()
class SwallowingFilter implements ExceptionFilter {
  catch(error: unknown): Observable<unknown> {
    swallowed.push(error);
    return of(null);
  }
}

describe('an outer layer that swallows the error (L5)', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
    swallowed.length = 0;
  });

  async function failedDeadLetterWrite(globalLayer: Provider) {
    const topic = await kit.createTopic(unique('orders'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('billing');
    const processed: number[] = [];
    let poisonAttempts = 0;

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      bill(@Payload() order: { id: number }) {
        if (order.id === 1) {
          poisonAttempts++;
          throw new Error('order 1 cannot be billed');
        }
        processed.push(order.id);
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'swallowed-failure-test', brokers: brokers() },
            retry: false,
            deadLetter: { enabled: true },
            redelivery: { type: 'fixed', delayMs: 150 },
          }),
        ],
        controllers: [OrdersController],
        providers: [globalLayer],
      }),
    );
    // The dead-letter topic existed at startup (topology check) and disappears while the app runs.
    const admin = await kit.getAdmin();
    await admin.deleteTopics({ topics: [dlt] });
    await waitFor('the topic deletion', async () => !(await admin.listTopics()).includes(dlt));

    await kit.produce(
      topic,
      [0, 1, 2].map((id) => ({ value: JSON.stringify({ id }) })),
    );
    await waitFor('the first record', () => processed.includes(0));
    await waitFor('the failing record delivered again', () => poisonAttempts >= 3);
    await waitFor('the commit of the first record', async () => (await kit.committed(groupId, topic))[0] === '1');
    // The swallowed error is the failed dead-letter write: the record was neither processed nor dead-lettered.
    expect(swallowed.some((error) => error instanceof DeadLetterPublishError)).toBe(true);
    expect((await kit.committed(groupId, topic))[0]).toBe('1');
    expect(processed).toEqual([0]);
  }

  it('a global catchError(() => of(null)) interceptor does not get a record committed whose dead-letter write failed', async () => {
    await failedDeadLetterWrite({ provide: APP_INTERCEPTOR, useClass: SwallowingInterceptor });
  });

  it('nor does a catch-all exception filter that returns of(null)', async () => {
    await failedDeadLetterWrite({ provide: APP_FILTER, useClass: SwallowingFilter });
  });
});
