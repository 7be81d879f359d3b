import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

interface Seen {
  value: unknown;
  key: string | null;
  rawKey: Buffer | null;
  headers: Record<string, unknown>;
  rawHeader: unknown;
  offset: string;
  timestamp: string;
  attempt: number;
}

describe('record decoding', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('decodes keys and headers to strings (Buffers kept), JSON by default, tombstones as null, string and buffer on request', async () => {
    const jsonTopic = await kit.createTopic(unique('json'), 1);
    const stringTopic = await kit.createTopic(unique('text'), 1);
    const bufferTopic = await kit.createTopic(unique('bytes'), 1);
    const groupId = unique('decoder');
    const seen: Record<string, Seen[]> = { json: [], string: [], buffer: [] };
    const record = (value: unknown, ctx: KafkaConsumerContext): Seen => ({
      value,
      key: ctx.key,
      rawKey: ctx.message.key,
      headers: ctx.headers,
      rawHeader: ctx.message.headers?.['trace'],
      offset: ctx.offset,
      timestamp: ctx.timestamp,
      attempt: ctx.attempt,
    });

    @Controller()
    class DecodingController {
      @ConsumeTopic(jsonTopic, { groupId, fromBeginning: true })
      json(@Payload() value: unknown, @Ctx() ctx: KafkaConsumerContext) {
        seen.json.push(record(value, ctx));
      }

      @ConsumeTopic(stringTopic, { groupId, fromBeginning: true, deserializer: 'string' })
      text(@Payload() value: unknown, @Ctx() ctx: KafkaConsumerContext) {
        seen.string.push(record(value, ctx));
      }

      @ConsumeTopic(bufferTopic, { groupId, fromBeginning: true, deserializer: 'buffer' })
      bytes(@Payload() value: unknown, @Ctx() ctx: KafkaConsumerContext) {
        seen.buffer.push(record(value, ctx));
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [KafkaConsumerModule.forRoot({ client: { clientId: 'decoding-test', brokers: brokers() } })],
        controllers: [DecodingController],
      }),
    );

    await kit.produce(jsonTopic, [
      {
        key: 'order-1',
        value: JSON.stringify({ total: 12.5, items: ['a'] }),
        headers: { trace: 'abc', multi: ['x', 'y'] },
      },
      { key: 'order-1', value: null },
    ]);
    await kit.produce(stringTopic, [{ value: 'plain text ✓' }]);
    await kit.produce(bufferTopic, [{ value: Buffer.from([0, 255, 1]) }]);
    await waitFor('every record', () => seen.json.length === 2 && seen.string.length === 1 && seen.buffer.length === 1);

    const [first, tombstone] = seen.json;
    expect(first.value).toEqual({ total: 12.5, items: ['a'] });
    expect(first.key).toBe('order-1');
    expect(Buffer.isBuffer(first.rawKey)).toBe(true);
    expect(first.headers).toEqual({ trace: 'abc', multi: ['x', 'y'] });
    expect(Buffer.isBuffer(first.rawHeader)).toBe(true);
    expect(first.offset).toBe('0');
    expect(Number(first.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(first.attempt).toBe(1);
    expect(tombstone.value).toBeNull();
    expect(tombstone.offset).toBe('1');
    expect(seen.string[0].value).toBe('plain text ✓');
    expect(seen.string[0].key).toBeNull();
    expect(seen.buffer[0].value).toEqual(Buffer.from([0, 255, 1]));
  });

  it('never hands a record that is not valid JSON to the handler, names it in the error and keeps it uncommitted', async () => {
    const topic = await kit.createTopic(unique('json'), 1);
    const groupId = unique('decoder');
    const values: unknown[] = [];

    @Controller()
    class StrictController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, deadLetter: false })
      handle(@Payload() value: unknown) {
        values.push(value);
      }
    }
    const logger = new CapturingLogger();
    apps.push(
      await startConsumerApp(
        {
          imports: [
            KafkaConsumerModule.forRoot({
              client: { clientId: 'decoding-test', brokers: brokers() },
              redelivery: { delayMs: 50, maxDelayMs: 100 },
            }),
          ],
          controllers: [StrictController],
        },
        { logger },
      ),
    );
    await kit.produce(topic, [{ value: '{"ok":1}' }, { value: '{not json' }, { value: '{"ok":2}' }]);
    await waitFor(
      'the bad record to be reported twice',
      () => logger.lines.filter((l) => l.message.includes(`Record ${topic}[0]@1 is not valid JSON`)).length >= 2,
    );
    await waitFor('commit up to the bad record', async () => (await kit.committed(groupId, topic))[0] === '1');
    expect(values).toEqual([{ ok: 1 }]);
  });
});
