import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { createKafkaConsumerTestingApp } from 'nestjs-kafka-consumer/testing';
import { AppModule } from './app.module';
import { GROUP, TOPIC } from './orders.controller';
import { OrdersService } from './orders.service';

describe('OrdersController on the testing transport', () => {
  it('processes an order and dead-letters one without quantity, without a broker', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const kafka = await createKafkaConsumerTestingApp(moduleRef);
    try {
      const processed = await kafka.dispatch(TOPIC, { value: { id: 1, quantity: 2 } }, GROUP);
      expect(processed).toMatchObject({ status: 'processed', committed: true });
      expect(moduleRef.get(OrdersService).received).toEqual([{ group: GROUP, order: { id: 1, quantity: 2 } }]);

      const rejected = await kafka.dispatch(TOPIC, { value: { id: 2, quantity: 0 } }, GROUP);
      expect(rejected.status).toBe('dead-lettered');
      expect(rejected.deadLetter?.topic).toBe(`${TOPIC}-dlt`);
    } finally {
      await kafka.close();
    }
  });
});
