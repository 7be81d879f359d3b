import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  DEAD_LETTER_HEADERS,
  InvalidOptionsError,
  KafkaConsumerModule,
  type DeserializationContext,
  type Deserializer,
  type KafkaConsumerContext,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { CapturingLogger, startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

class OrderCreated {
  constructor(readonly id: number) {}
}
class OrderShipped {
  constructor(readonly id: number) {}
}

/** Decodes `{ kind, id }` into an event class, as a typed (e.g. Avro) deserializer would. */
class OrderEventDeserializer implements Deserializer {
  deserialize(value: Buffer, _ctx: DeserializationContext): unknown {
    const { kind, id } = JSON.parse(value.toString()) as { kind: string; id: number };
    if (kind === 'created') return new OrderCreated(id);
    if (kind === 'shipped') return new OrderShipped(id);
    return { kind, id };
  }
}

const module = (clientId: string, extra: object = {}) =>
  KafkaConsumerModule.forRoot({ client: { clientId, brokers: brokers() }, ...extra });

describe('several handlers of one topic in one group', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
  });

  it('routes by header value; unrouted records are skipped, committed and logged by default', async () => {
    const topic = await kit.createTopic(unique('orders'), 2);
    const groupId = unique('orders-service');
    const seen: string[] = [];

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true, route: { header: 'type', value: 'created' } })
      created(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        seen.push(`created:${order.id}:${ctx.groupId}`);
      }

      @ConsumeTopic(topic, {
        groupId,
        fromBeginning: true,
        route: { header: 'type', value: ['cancelled', 'refunded'] },
      })
      closed(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
        seen.push(`${String(ctx.headers['type'])}:${order.id}`);
      }
    }
    const logger = new CapturingLogger();
    apps.push(
      await startConsumerApp({ imports: [module('routing-header')], controllers: [OrdersController] }, { logger }),
    );

    await kit.produce(topic, [
      { key: 'a', value: JSON.stringify({ id: 1 }), headers: { type: 'created' } },
      { key: 'a', value: JSON.stringify({ id: 1 }), headers: { type: 'cancelled' } },
      { key: 'a', value: JSON.stringify({ id: 1 }), headers: { type: 'archived' } },
      { key: 'a', value: JSON.stringify({ id: 1 }) },
      { key: 'a', value: JSON.stringify({ id: 1 }), headers: { type: 'refunded' } },
    ]);
    await waitFor('every record committed', async () => {
      const committed = await kit.committed(groupId, topic);
      return Object.values(committed).reduce((sum, o) => sum + Math.max(0, Number(o)), 0) === 5;
    });
    expect(seen).toEqual([`created:1:${groupId}`, 'cancelled:1', 'refunded:1']);
    expect(logger.has('warn', 'is skipped: no route takes type="archived" (routes: ')).toBe(true);
    expect(logger.has('warn', 'is skipped: the record has no "type" header')).toBe(true);
    expect(logger.has('warn', "set unrouted: 'dead-letter'")).toBe(true);
  });

  it('routes by payload type, with a handler without route taking the rest, and dead-letters unrouted records when asked', async () => {
    const topic = await kit.createTopic(unique('events'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const typedTopic = await kit.createTopic(unique('typed'), 1);
    const typedDlt = await kit.createTopic(`${typedTopic}-dlt`, 1);
    const groupId = unique('events-service');
    const seen: string[] = [];
    const options = { groupId, fromBeginning: true, deserializer: OrderEventDeserializer };

    @Controller()
    class EventsController {
      @ConsumeTopic(topic, { ...options, route: { payloadType: OrderCreated } })
      created(@Payload() event: OrderCreated) {
        seen.push(`created:${event.id}:${event instanceof OrderCreated}`);
      }

      @ConsumeTopic(topic, { ...options, route: { payloadType: OrderShipped } })
      shipped(@Payload() event: OrderShipped) {
        seen.push(`shipped:${event.id}`);
      }

      @ConsumeTopic(topic, options)
      other(@Payload() event: { kind: string; id: number }) {
        seen.push(`other:${event.kind}`);
      }

      @ConsumeTopic(typedTopic, { ...options, route: { payloadType: OrderCreated }, unrouted: 'dead-letter' })
      typedCreated(@Payload() event: OrderCreated) {
        seen.push(`typed-created:${event.id}`);
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [module('routing-type', { deadLetter: {} })],
        controllers: [EventsController],
        providers: [OrderEventDeserializer],
      }),
    );
    const reader = await new TopicReader().start([dlt, typedDlt]);
    readers.push(reader);
    const event = (kind: string, id: number) => ({ value: JSON.stringify({ kind, id }) });
    await kit.produce(topic, [event('created', 1), event('shipped', 1), event('returned', 1)]);
    await kit.produce(typedTopic, [event('shipped', 2), event('created', 2)]);

    await waitFor('the unrouted typed record dead-lettered', () => reader.of(typedDlt).length === 1);
    await waitFor('both topics committed', async () => {
      const [a, b] = [await kit.committed(groupId, topic), await kit.committed(groupId, typedTopic)];
      return a[0] === '3' && b[0] === '2';
    });
    expect(seen).toEqual(['created:1:true', 'shipped:1', 'other:returned', 'typed-created:2']);
    const [unrouted] = reader.of(typedDlt);
    expect(unrouted.headers[DEAD_LETTER_HEADERS.exceptionFqcn]).toBe('UnroutedRecordError');
    expect(unrouted.headers[DEAD_LETTER_HEADERS.exceptionMessage]).toContain('no route takes a payload of this type');
    expect(unrouted.headers[DEAD_LETTER_HEADERS.originalOffset]).toBe('0');
    expect(reader.of(dlt)).toHaveLength(0);
  });

  it('rejects conflicting routes at startup, naming both handlers', async () => {
    const topic = await kit.createTopic(unique('orders'), 1);
    const groupId = unique('conflict');

    @Controller()
    class SameValue {
      @ConsumeTopic(topic, { groupId, route: { header: 'type', value: ['created', 'paid'] } })
      a() {}

      @ConsumeTopic(topic, { groupId, route: { header: 'type', value: 'paid' } })
      b() {}
    }
    @Controller()
    class TwoHeaders {
      @ConsumeTopic(topic, { groupId, route: { header: 'type', value: 'created' } })
      a() {}

      @ConsumeTopic(topic, { groupId, route: { header: 'kind', value: 'paid' } })
      b() {}
    }
    @Controller()
    class Subclass {
      @ConsumeTopic(topic, { groupId, route: { payloadType: OrderCreated } })
      a() {}

      @ConsumeTopic(topic, { groupId, route: { payloadType: class Special extends OrderCreated {} } })
      b() {}
    }
    @Controller()
    class NoDeadLetter {
      @ConsumeTopic(topic, { groupId, route: { header: 'type', value: 'a' }, unrouted: 'dead-letter' })
      a() {}

      @ConsumeTopic(topic, { groupId, route: { header: 'type', value: 'b' }, unrouted: 'dead-letter' })
      b() {}
    }
    @Controller()
    class Unrouted {
      @ConsumeTopic(topic, { groupId })
      a() {}

      @ConsumeTopic(topic, { groupId })
      b() {}
    }
    const failure = (controller: new () => unknown) =>
      startConsumerApp({ imports: [module('routing-conflict')], controllers: [controller] }).then(
        (app) => (apps.push(app), undefined),
        (e: unknown) => e as Error,
      );
    const cases: Array<[new () => unknown, string]> = [
      [
        SameValue,
        `Handlers SameValue.a and SameValue.b of topic "${topic}" in group "${groupId}" have conflicting routes: both take type="paid"`,
      ],
      [TwoHeaders, 'they route on different headers ("type" vs "kind")'],
      [Subclass, 'a Special payload would match both (Special vs OrderCreated)'],
      [NoDeadLetter, 'must agree on "deadLetter"'],
      [Unrouted, `Two handlers consume topic "${topic}" in group "${groupId}": Unrouted.a and Unrouted.b`],
    ];
    for (const [controller, expected] of cases) {
      const error = await failure(controller);
      expect(error, controller.name).toBeInstanceOf(InvalidOptionsError);
      expect(error?.message, controller.name).toContain(expected);
    }
  });
});
