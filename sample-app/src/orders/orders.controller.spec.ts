import { Test } from '@nestjs/testing';
import { createKafkaConsumerTestingApp, type KafkaConsumerTestingApp } from 'nestjs-kafka-consumer/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../app.module.js';
import { GROUPS, TOPICS } from '../config/app-config.js';
import { BillingService } from './billing.service.js';

const order = {
  orderId: 'o-1',
  customerId: 'c-1',
  currency: 'EUR',
  items: [{ sku: 'tea', quantity: 2, unitPriceCents: 350 }],
};

// The app's own handlers, pipes and dead-letter settings, without a broker.
describe('OrdersController.bill', () => {
  let kafka: KafkaConsumerTestingApp;
  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    moduleRef.useLogger(false);
    kafka = await createKafkaConsumerTestingApp(moduleRef);
  });
  afterEach(() => kafka.close());

  it('bills a valid order once, even when it is delivered twice, and commits it', async () => {
    const first = await kafka.dispatch(TOPICS.orders, { key: 'c-1', value: order }, GROUPS.billing);
    const again = await kafka.dispatch(TOPICS.orders, { key: 'c-1', value: order }, GROUPS.billing);
    expect([first.status, again.status]).toEqual(['processed', 'processed']);
    expect(first.committed).toBe(true);
    expect(kafka.app.get(BillingService).summary()).toEqual({ processed: 2, invoices: 1, totalCents: 700 });
  });

  it('dead-letters an invalid order at once, with the validation details', async () => {
    const result = await kafka.dispatch(TOPICS.orders, { value: { ...order, currency: 'GBP' } }, GROUPS.billing);
    expect(result.status).toBe('dead-lettered');
    expect(result.attempts).toBe(1);
    expect(result.deadLetter?.topic).toBe(`${TOPICS.orders}-dlt`);
    expect(String((result.error as Error).message)).toContain('currency must be one of the following values: EUR, USD');
    expect(kafka.app.get(BillingService).summary().processed).toBe(0);
  });
});
