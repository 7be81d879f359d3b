import { Test } from '@nestjs/testing';
import { createKafkaConsumerTestingApp, type KafkaConsumerTestingApp } from 'nestjs-kafka-consumer/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../app.module.js';
import { GROUPS, TOPICS } from '../config/app-config.js';
import { CarrierService } from './carrier.service.js';

const order = (orderId: string) => ({
  orderId,
  customerId: 'c-1',
  currency: 'EUR',
  items: [{ sku: 'mug', quantity: 1, unitPriceCents: 900 }],
});

// The shipping handler's retry topics, without a broker: forwards are captured in memory.
describe('ShippingController.ship', () => {
  let kafka: KafkaConsumerTestingApp;
  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    moduleRef.useLogger(false);
    kafka = await createKafkaConsumerTestingApp(moduleRef);
  });
  afterEach(() => kafka.close());

  it('ships an order at once when the carrier answers', async () => {
    const result = await kafka.dispatch(TOPICS.orders, { value: order('order-7') }, GROUPS.shipping);
    expect(result.status).toBe('processed');
    expect(kafka.app.get(CarrierService).summary()).toEqual({ shipped: 1, transientFailures: 0, retried: 0 });
  });

  it('forwards an order the carrier failed to the first retry topic, and ships it on the next attempt', async () => {
    const failed = await kafka.dispatch(TOPICS.orders, { value: order('order-10') }, GROUPS.shipping);
    expect(failed.status).toBe('dead-lettered');
    expect(failed.attempts).toBe(1); // no in-process retry: the partition goes on
    expect(failed.committed).toBe(true);
    expect(failed.deadLetter).toMatchObject({ kind: 'retry-topic', topic: `${TOPICS.orders}-retry-200` });

    // The retry-topic stage calls this same handler; the testing entry routes main topics only,
    // so the second attempt is dispatched on the main topic (the e2e demo covers the real hop).
    const retried = await kafka.dispatch(TOPICS.orders, { value: order('order-10') }, GROUPS.shipping);
    expect(retried.status).toBe('processed');
    expect(kafka.app.get(CarrierService).summary()).toEqual({ shipped: 1, transientFailures: 1, retried: 1 });
  });

  it('sends an invalid order straight to the dead-letter topic, not to a retry topic', async () => {
    const result = await kafka.dispatch(TOPICS.orders, { value: { ...order('order-3'), items: [] } }, GROUPS.shipping);
    expect(result.status).toBe('dead-lettered');
    expect(result.deadLetter).toMatchObject({ kind: 'dead-letter', topic: `${TOPICS.orders}-dlt` });
  });
});
