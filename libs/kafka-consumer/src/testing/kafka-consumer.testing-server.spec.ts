import { Controller, Injectable, ValidationPipe } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt, Min } from 'class-validator';
import {
  ConsumeTopic,
  InvalidOptionsError,
  KafkaConsumerContext,
  KafkaConsumerModule,
  NonRetriableError,
} from 'nestjs-kafka-consumer';
import { createKafkaConsumerTestingApp, type KafkaConsumerTestingApp } from 'nestjs-kafka-consumer/testing';
import { afterEach, describe, expect, it } from 'vitest';

class OrderDto {
  @IsInt()
  @Min(1)
  quantity!: number;
}

@Injectable()
class Billing {
  readonly billed: number[] = [];
  failuresLeft = 0;
  charge(quantity: number) {
    if (this.failuresLeft-- > 0) throw new Error('payment provider timeout');
    this.billed.push(quantity);
  }
}

@Controller()
class OrdersController {
  constructor(private readonly billing: Billing) {}

  @ConsumeTopic('orders', { groupId: 'billing', retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 1 } } })
  bill(@Payload(new ValidationPipe({ transform: true })) order: OrderDto) {
    this.billing.charge(order.quantity);
  }

  @ConsumeTopic('orders', { groupId: 'audit', retry: false, deadLetter: false })
  audit(@Payload() order: { quantity: number }) {
    if (order.quantity > 100) throw new NonRetriableError('too large to audit');
  }

  @ConsumeTopic('bulk', { groupId: 'ledger', batch: true })
  bulk(@Payload() orders: Array<{ quantity: number }>) {
    return orders.length;
  }

  @ConsumeTopic('payments', { groupId: 'ledger', commit: 'manual', deserializer: 'string' })
  async pay(@Payload() text: string, @Ctx() ctx: KafkaConsumerContext) {
    if (text.startsWith('commit')) await ctx.commit();
  }
}

describe('nestjs-kafka-consumer/testing (no broker)', () => {
  let kafka: KafkaConsumerTestingApp | undefined;
  let billing: Billing;
  afterEach(async () => {
    await kafka?.close();
    kafka = undefined;
  });

  async function start() {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { brokers: ['127.0.0.1:1'] },
          deadLetter: { enabled: true },
        }),
      ],
      controllers: [OrdersController],
      providers: [Billing],
    }).compile();
    moduleRef.useLogger(false);
    billing = moduleRef.get(Billing);
    kafka = await createKafkaConsumerTestingApp(moduleRef);
    return kafka;
  }

  it('runs a record through pipes and the handler, and reports it committed', async () => {
    const app = await start();
    const result = await app.dispatch('orders', { value: { quantity: 2 } }, 'billing');
    expect(result).toEqual({ status: 'processed', outcome: { kind: 'processed' }, attempts: 1, committed: true });
    expect(billing.billed).toEqual([2]);
  });

  it('refuses to dispatch to a batch handler, naming it', async () => {
    const app = await start();
    await expect(app.dispatch('bulk', { value: { quantity: 1 } })).rejects.toThrow(
      /OrdersController\.bulk is a batch handler/,
    );
  });

  it('retries with the handler options and counts attempts', async () => {
    const app = await start();
    billing.failuresLeft = 2;
    const result = await app.dispatch('orders', { value: { quantity: 5 } }, 'billing');
    expect(result.status).toBe('processed');
    expect(result.attempts).toBe(3);
  });

  it('captures dead-lettered records in memory, with the error', async () => {
    const app = await start();
    billing.failuresLeft = 10;
    const result = await app.dispatch('orders', { key: 'c-1', value: { quantity: 1 } }, 'billing');
    expect(result.status).toBe('dead-lettered');
    expect(result.committed).toBe(true);
    expect(result.deadLetter).toMatchObject({ topic: 'orders-dlt', kind: 'dead-letter', key: 'c-1', attempts: 3 });
    expect(String((result.error as Error).message)).toBe('payment provider timeout');

    const invalid = await app.dispatch('orders', { value: { quantity: 0 } }, 'billing');
    expect(invalid.status).toBe('dead-lettered');
    expect(invalid.attempts).toBe(1);
    const malformed = await app.dispatch('orders', { value: '{oops' }, 'billing');
    expect(malformed.status).toBe('dead-lettered');
    expect(malformed.deadLetter?.value?.toString()).toBe('{oops');
    expect(app.deadLetters).toHaveLength(3);
  });

  it('reports a failure that nothing settles as failed and uncommitted', async () => {
    const app = await start();
    const result = await app.dispatch('orders', { value: { quantity: 500 } }, 'audit');
    expect(result).toMatchObject({ status: 'failed', committed: false, attempts: 1 });
    expect(result.error).toBeInstanceOf(NonRetriableError);
  });

  it('reports manual commits only when ctx.commit() was called', async () => {
    const app = await start();
    expect((await app.dispatch('payments', { value: 'hold' })).committed).toBe(false);
    expect((await app.dispatch('payments', { value: 'commit now' })).committed).toBe(true);
  });

  it('asks for the group when a topic has several', async () => {
    const app = await start();
    await expect(app.dispatch('orders', { value: {} })).rejects.toThrow('pass the groupId');
  });

  it('validates handlers like the real server', async () => {
    @Controller()
    class Broken {
      @ConsumeTopic('orders', { groupId: 'x', commit: 'never' as never })
      handle() {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaConsumerModule.forRoot({ client: { brokers: ['127.0.0.1:1'] } })],
      controllers: [Broken],
    }).compile();
    moduleRef.useLogger(false);
    await expect(createKafkaConsumerTestingApp(moduleRef)).rejects.toBeInstanceOf(InvalidOptionsError);
    await moduleRef.close();
  });

  it('accepts a handler concurrency option, and rejects a wrong one like the real server', async () => {
    @Controller()
    class Keyed {
      seen: string[] = [];
      @ConsumeTopic('accounts', { groupId: 'ledger', concurrency: { mode: 'key', maxInFlight: 10 } })
      apply(@Payload() event: { id: string }) {
        this.seen.push(event.id);
      }
    }
    const good = await Test.createTestingModule({
      imports: [KafkaConsumerModule.forRoot({ client: { brokers: ['127.0.0.1:1'] } })],
      controllers: [Keyed],
    }).compile();
    good.useLogger(false);
    kafka = await createKafkaConsumerTestingApp(good);
    expect((await kafka.dispatch('accounts', { key: 'a', value: { id: 'a1' } })).status).toBe('processed');

    @Controller()
    class Wrong {
      @ConsumeTopic('accounts', { groupId: 'ledger', concurrency: { maxInFlight: 10 } })
      apply() {}
    }
    const bad = await Test.createTestingModule({
      imports: [KafkaConsumerModule.forRoot({ client: { brokers: ['127.0.0.1:1'] } })],
      controllers: [Wrong],
    }).compile();
    bad.useLogger(false);
    await expect(createKafkaConsumerTestingApp(bad)).rejects.toThrow(/concurrency\.maxInFlight/);
    await bad.close();
  });
});
