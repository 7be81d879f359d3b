import {
  Catch,
  Controller,
  Injectable,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IsInt, IsString, Min } from 'class-validator';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { of, tap, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

class OrderDto {
  @IsString()
  id!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

class OutOfStockError extends Error {}

const events: string[] = [];

@Injectable()
class TenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const ctx = context.switchToRpc().getContext<KafkaConsumerContext>();
    events.push(`guard:${ctx.headers['tenant']}`);
    return ctx.headers['tenant'] === 'acme';
  }
}

@Injectable()
class TimingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = context.switchToRpc().getContext<KafkaConsumerContext>();
    events.push(`before:${ctx.offset}`);
    return next.handle().pipe(tap(() => events.push(`after:${ctx.offset}`)));
  }
}

/** Declares out-of-stock orders handled: the filter's completion counts as success. */
@Catch(OutOfStockError)
class OutOfStockFilter implements RpcExceptionFilter<OutOfStockError> {
  catch(error: OutOfStockError): Observable<unknown> {
    events.push(`filter:${error.message}`);
    return of(undefined);
  }
}

describe("Nest's pipeline runs for every record", () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
    events.length = 0;
  });

  it('applies guards, interceptors, ValidationPipe and exception filters; only settled records are committed', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('shipping');
    const received: OrderDto[] = [];

    @Controller()
    @UseGuards(TenantGuard)
    class ShippingController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retry: false })
      @UseInterceptors(TimingInterceptor)
      @UseFilters(OutOfStockFilter)
      @UsePipes(new ValidationPipe({ transform: true }))
      ship(@Payload() order: OrderDto) {
        if (order.id === 'gone') throw new OutOfStockError('gone');
        received.push(order);
      }
    }

    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'pipeline-test', brokers: brokers() },
            redelivery: { delayMs: 50, maxDelayMs: 200 },
          }),
        ],
        controllers: [ShippingController],
      }),
    );
    const acme = { tenant: 'acme' };
    await kit.produce(topic, [
      { value: JSON.stringify({ id: 'a', quantity: 2 }), headers: acme },
      { value: JSON.stringify({ id: 'gone', quantity: 1 }), headers: acme },
      { value: JSON.stringify({ id: 'b', quantity: 3 }), headers: acme },
      { value: JSON.stringify({ id: 'bad', quantity: 0 }), headers: acme },
      { value: JSON.stringify({ id: 'c', quantity: 1 }), headers: acme },
    ]);

    // Offsets 0-2 settle (2 via the filter); offset 3 fails validation and holds the partition.
    await waitFor('offset 3 to fail validation twice', () => events.filter((e) => e === 'before:3').length >= 2);
    await waitFor('commit of 3', async () => (await kit.committed(groupId, topic))[0] === '3');
    expect(received.map((o) => o.id)).toEqual(['a', 'b']);
    expect(received[0]).toBeInstanceOf(OrderDto);
    expect(events).toContain('filter:gone');
    expect(events.slice(0, 3)).toEqual(['guard:acme', 'before:0', 'after:0']);
    expect(events).not.toContain('after:3');
    expect(received.map((o) => o.id)).not.toContain('c');
  });

  it("with refused: 'redeliver', a guard that refuses a record keeps it uncommitted", async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('shipping');
    const received: string[] = [];

    @Controller()
    @UseGuards(TenantGuard)
    class GuardedController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, retry: false, refused: 'redeliver' })
      ship(@Payload() order: { id: string }) {
        received.push(order.id);
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'pipeline-test', brokers: brokers() },
            redelivery: { delayMs: 50, maxDelayMs: 200 },
          }),
        ],
        controllers: [GuardedController],
      }),
    );
    await kit.produce(topic, [
      { value: JSON.stringify({ id: 'ok' }), headers: { tenant: 'acme' } },
      { value: JSON.stringify({ id: 'intruder' }), headers: { tenant: 'evil' } },
    ]);
    await waitFor('the refused record to be tried twice', () => events.filter((e) => e === 'guard:evil').length >= 2);
    await waitFor(
      'commit of the record before the refused one',
      async () => (await kit.committed(groupId, topic))[0] === '1',
    );
    expect(received).toEqual(['ok']);
  });
});
