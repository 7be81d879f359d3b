import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Test } from '@nestjs/testing';
import { createKafkaConsumerTestingApp } from 'nestjs-kafka-consumer/testing';
import { AppModule } from './app.module.js';
import { GROUP, TOPIC } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

test('processes an order and dead-letters one without quantity, without a broker', async () => {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const kafka = await createKafkaConsumerTestingApp(moduleRef);
  try {
    const processed = await kafka.dispatch(TOPIC, { value: { id: 1, quantity: 2 } }, GROUP);
    assert.equal(processed.status, 'processed');
    assert.equal(processed.committed, true);
    assert.deepEqual(moduleRef.get(OrdersService).received, [{ group: GROUP, order: { id: 1, quantity: 2 } }]);

    const rejected = await kafka.dispatch(TOPIC, { value: { id: 2, quantity: 0 } }, GROUP);
    assert.equal(rejected.status, 'dead-lettered');
    assert.equal(rejected.deadLetter?.topic, `${TOPIC}-dlt`);
  } finally {
    await kafka.close();
  }
});
