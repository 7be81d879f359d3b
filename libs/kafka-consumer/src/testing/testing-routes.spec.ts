import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { createKafkaConsumerTestingApp } from 'nestjs-kafka-consumer/testing';
import { describe, expect, it } from 'vitest';

const seen: string[] = [];

@Controller()
class OrderEventsController {
  @ConsumeTopic('orders', { groupId: 'billing', route: { header: 'type', value: 'created' } })
  created(@Payload() order: { id: number }) {
    seen.push(`created:${order.id}`);
  }

  @ConsumeTopic('orders', { groupId: 'billing', commit: 'manual', route: { header: 'type', value: 'cancelled' } })
  cancelled(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
    seen.push(`cancelled:${order.id}:${ctx.handler.name}`);
  }
}

describe('nestjs-kafka-consumer/testing routes like the real transport', () => {
  it('dispatches by header to the routed handler, with its own options, and skips unrouted records', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaConsumerModule.forRoot({ client: { brokers: ['127.0.0.1:9092'] } })],
      controllers: [OrderEventsController],
    }).compile();
    moduleRef.useLogger(false);
    const kafka = await createKafkaConsumerTestingApp(moduleRef);
    try {
      const created = await kafka.dispatch('orders', { value: { id: 1 }, headers: { type: 'created' } });
      const cancelled = await kafka.dispatch('orders', { value: { id: 1 }, headers: { type: 'cancelled' } });
      const unrouted = await kafka.dispatch('orders', { value: { id: 2 }, headers: { type: 'archived' } });
      expect(seen).toEqual(['created:1', 'cancelled:1:OrderEventsController.cancelled']);
      expect([created.status, created.committed]).toEqual(['processed', true]);
      // The cancelled handler commits manually and did not: its own commit mode applies.
      expect([cancelled.status, cancelled.committed]).toEqual(['processed', false]);
      expect(unrouted.status).toBe('skipped');
      expect(unrouted.outcome).toMatchObject({ kind: 'skipped', reason: 'unrouted' });
      expect(String((unrouted.error as Error).message)).toContain('no route takes type="archived"');
    } finally {
      await kafka.close();
    }
  });
});
