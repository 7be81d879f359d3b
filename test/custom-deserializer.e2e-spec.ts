import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import avro from 'avsc';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  KafkaConsumerModule,
  type DeserializationContext,
  type Deserializer,
  type KafkaConsumerContext,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const orderCreated = avro.Type.forSchema({
  type: 'record',
  name: 'OrderCreated',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'total', type: 'double' },
  ],
});
const orderCancelled = avro.Type.forSchema({
  type: 'record',
  name: 'OrderCancelled',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'reason', type: 'string' },
  ],
});

/** A registry-less schema catalog: the writer names its schema in the `schema` header. */
@Injectable()
class SchemaCatalog {
  readonly lookups: string[] = [];
  private readonly schemas = new Map<string, avro.Type>([
    ['order-created.v1', orderCreated],
    ['order-cancelled.v1', orderCancelled],
  ]);

  /** Async, as a schema-registry lookup would be. */
  async find(name: string): Promise<avro.Type | undefined> {
    this.lookups.push(name);
    await new Promise((resolve) => setImmediate(resolve));
    return this.schemas.get(name);
  }
}

@Injectable()
class AvroDeserializer implements Deserializer {
  constructor(private readonly catalog: SchemaCatalog) {}

  async deserialize(value: Buffer, { headers }: DeserializationContext): Promise<unknown> {
    const name = headers['schema'];
    if (typeof name !== 'string') throw new Error('no "schema" header');
    const type = await this.catalog.find(name);
    if (!type) throw new Error(`unknown schema "${name}"`);
    return type.fromBuffer(value);
  }
}

describe('a Deserializer class resolved through Nest DI', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('decodes Avro records by the schema their header names, and dead-letters what it cannot decode without retrying', async () => {
    const topic = await kit.createTopic(unique('orders-avro'), 1);
    const deadLetterTopic = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('avro');
    const received: Array<{ value: unknown; schema: unknown }> = [];
    let calls = 0;

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, deserializer: AvroDeserializer })
      handle(@Payload() value: unknown, @Ctx() ctx: KafkaConsumerContext) {
        calls++;
        received.push({ value, schema: ctx.headers['schema'] });
      }
    }
    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'avro-test', brokers: brokers() },
          deadLetter: {},
          retry: { attempts: 3, backoff: { type: 'fixed', delayMs: 10 } },
        }),
      ],
      controllers: [OrdersController],
      providers: [SchemaCatalog, AvroDeserializer],
    });
    apps.push(app);

    await kit.produce(topic, [
      { key: 'o-1', value: orderCreated.toBuffer({ id: 1, total: 12.5 }), headers: { schema: 'order-created.v1' } },
      { key: 'o-2', value: Buffer.from('not avro at all'), headers: { schema: 'order-price.v9' } },
      {
        key: 'o-1',
        value: orderCancelled.toBuffer({ id: 1, reason: 'customer' }),
        headers: { schema: 'order-cancelled.v1' },
      },
      // A truncated record: the schema is known but the bytes do not decode.
      {
        key: 'o-3',
        value: orderCancelled.toBuffer({ id: 3, reason: 'x' }).subarray(0, 1),
        headers: { schema: 'order-cancelled.v1' },
      },
      { key: 'o-4', value: null, headers: { schema: 'order-created.v1' } },
    ]);
    const reader = await new TopicReader().start([deadLetterTopic]);
    readers.push(reader);
    await waitFor('two dead letters', () => reader.of(deadLetterTopic).length === 2);
    await waitFor('every record committed', async () => (await kit.committed(groupId, topic))[0] === '5');

    expect(received).toEqual([
      { value: { id: 1, total: 12.5 }, schema: 'order-created.v1' },
      { value: { id: 1, reason: 'customer' }, schema: 'order-cancelled.v1' },
      { value: null, schema: 'order-created.v1' },
    ]);
    expect(calls).toBe(3);
    // The injected catalog was used, once per non-null record: a failure is not retried.
    expect(app.app.get(SchemaCatalog).lookups).toEqual([
      'order-created.v1',
      'order-price.v9',
      'order-cancelled.v1',
      'order-cancelled.v1',
    ]);

    const [unknownSchema, truncated] = reader.of(deadLetterTopic);
    expect(unknownSchema.key).toBe('o-2');
    expect(unknownSchema.value?.toString()).toBe('not avro at all');
    expect(unknownSchema.headers['schema']).toBe('order-price.v9');
    expect(unknownSchema.headers[DEAD_LETTER_HEADERS.exceptionFqcn]).toBe('DeserializationError');
    expect(unknownSchema.headers[DEAD_LETTER_HEADERS.exceptionCauseFqcn]).toBe('Error');
    expect(unknownSchema.headers[DEAD_LETTER_HEADERS.exceptionMessage]).toBe(
      `Deserializer AvroDeserializer failed on record ${topic}[0]@1: Error: unknown schema "order-price.v9"`,
    );
    expect(truncated.key).toBe('o-3');
    expect(truncated.headers[DEAD_LETTER_HEADERS.originalOffset]).toBe('3');
    expect(truncated.headers[DEAD_LETTER_HEADERS.exceptionMessage]).toContain('Deserializer AvroDeserializer failed');
  });
});
