import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaConsumerContext, type RecordControls } from './kafka-consumer.context.js';

describe('KafkaConsumerContext aliases named as on Nest KafkaContext', () => {
  it('getMessage / getTopic / getPartition / getHeartbeat return what the getters and heartbeat() do', async () => {
    const message = {
      offset: '42',
      key: null,
      value: Buffer.from('{}'),
      timestamp: '1',
      attributes: 0,
    } as KafkaMessage;
    let heartbeats = 0;
    const controls = {
      heartbeat: async () => {
        heartbeats += 1;
      },
    } as unknown as RecordControls;
    const ctx = new KafkaConsumerContext([message, 'orders', 3, 'billing'], controls);

    expect(ctx.getMessage()).toBe(message);
    expect(ctx.getTopic()).toBe('orders');
    expect(ctx.getPartition()).toBe(3);
    await ctx.getHeartbeat()();
    expect(heartbeats).toBe(1);
  });
});
