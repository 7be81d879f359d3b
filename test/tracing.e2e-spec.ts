import { Controller, UseInterceptors, type CallHandler, type NestInterceptor } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { ConsumeTopic, KafkaConsumerModule, type KafkaConsumerModuleOptions } from 'nestjs-kafka-consumer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { TopicReader } from './support/topic-reader.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01`;

/** Waits until `list()` has exactly one element, and returns it. */
async function theOnly<T>(what: string, list: () => T[]): Promise<T> {
  await waitFor(what, () => list().length === 1, 60_000);
  return list()[0];
}

describe('OpenTelemetry tracing', () => {
  const kit = new KafkaTestKit();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();
  const apps: ConsumerApp[] = [];
  const readers: TopicReader[] = [];

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await kit.close();
    exporter.reset();
  });

  const consumerSpans = (topic: string): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`);

  /** An interceptor of the user's: the record goes through Nest's pipeline instead of the lean path. */
  class PassThrough implements NestInterceptor {
    intercept(_context: unknown, next: CallHandler) {
      return next.handle();
    }
  }

  async function start(topic: string, groupId: string, extra: Partial<KafkaConsumerModuleOptions>, pipeline = false) {
    const inHandler: Array<{ id: number; active: Span | undefined }> = [];
    @Controller()
    @UseInterceptors(...(pipeline ? [PassThrough] : []))
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() order: { id: number }) {
        inHandler.push({ id: order.id, active: trace.getActiveSpan() });
        // The user's own span nests under the consumer span.
        trace.getTracer('orders-app').startActiveSpan('save order', (span) => span.end());
        if (order.id === 2) throw new Error('order 2 is invalid');
      }
    }
    apps.push(
      await startConsumerApp({
        imports: [
          KafkaConsumerModule.forRoot({
            client: { clientId: 'tracing-test', brokers: brokers() },
            retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
            deadLetter: { enabled: true },
            ...extra,
          }),
        ],
        controllers: [OrdersController],
      }),
    );
    return inHandler;
  }

  it('makes a consumer span per record, parented on its traceparent, with the messaging attributes', async () => {
    const topic = await kit.createTopic(unique('traced'), 1);
    await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('traced-group');
    const inHandler = await start(topic, groupId, { tracing: { tracerName: 'orders-consumer' } });
    await kit.produce(topic, [
      { key: 'order-1', value: JSON.stringify({ id: 1 }), headers: { traceparent: TRACEPARENT } },
    ]);
    const span = await theOnly('the consumer span', () => consumerSpans(topic));
    console.info(`[tracing] ${span.name} ${JSON.stringify(span.attributes)}`);

    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.instrumentationScope.name).toBe('orders-consumer');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PRODUCER_SPAN_ID);
    expect(span.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': groupId,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': 0,
      'messaging.kafka.message.key': 'order-1',
      'kafka_consumer.outcome': 'processed',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // Active while the handler ran: the handler's span is its child.
    expect(inHandler[0].active?.spanContext().spanId).toBe(span.spanContext().spanId);
    const own = exporter.getFinishedSpans().find((s) => s.name === 'save order');
    expect(own?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(own?.spanContext().traceId).toBe(TRACE_ID);
  }, 60_000);

  it('marks a dead-lettered record failed, with its retry, and the dead-letter record carries its context', async () => {
    const topic = await kit.createTopic(unique('traced-fail'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('traced-fail-group');
    await start(topic, groupId, { tracing: true });
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [{ value: JSON.stringify({ id: 2 }), headers: { traceparent: TRACEPARENT } }]);
    const span = await theOnly('the failed span', () => consumerSpans(topic));
    const record = await theOnly('the dead-letter record', () => reader.of(dlt));
    console.info(`[tracing] failed: ${JSON.stringify(span.status)} ${JSON.stringify(span.attributes)}`);
    console.info(`[tracing] dead-letter traceparent: ${record.headers.traceparent}`);

    expect(span.instrumentationScope.name).toBe('nestjs-kafka-consumer');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'order 2 is invalid' });
    expect(span.attributes['kafka_consumer.outcome']).toBe('dead-lettered');
    expect(span.attributes['error.type']).toBe('Error');
    expect(span.attributes['messaging.kafka.message.key']).toBeUndefined();
    const events = span.events.map((e: ReadableSpan['events'][number]) => `${e.name} ${JSON.stringify(e.attributes)}`);
    expect(events).toEqual([
      'retry {"kafka_consumer.attempt":2,"exception.type":"Error","exception.message":"order 2 is invalid"}',
      expect.stringContaining('exception {"exception.type":"Error","exception.message":"order 2 is invalid"'),
    ]);
    // The dead-letter record continues the trace, its parent the consumer span.
    expect(record.headers.traceparent).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-01`);
  }, 90_000);

  it("traces through Nest's pipeline too (a handler with an interceptor of yours)", async () => {
    const topic = await kit.createTopic(unique('traced-pipeline'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('traced-pipeline-group');
    const inHandler = await start(topic, groupId, { tracing: true }, true);
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(topic, [{ value: JSON.stringify({ id: 2 }), headers: { traceparent: TRACEPARENT } }]);
    const span = await theOnly('the failed span', () => consumerSpans(topic));
    const record = await theOnly('the dead-letter record', () => reader.of(dlt));

    expect(span.parentSpanContext?.spanId).toBe(PRODUCER_SPAN_ID);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.map((e: ReadableSpan['events'][number]) => e.name)).toEqual(['retry', 'exception']);
    expect(inHandler.map((h) => h.active?.spanContext().spanId)).toEqual([
      span.spanContext().spanId,
      span.spanContext().spanId,
    ]);
    expect(record.headers.traceparent).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-01`);
  }, 90_000);

  it('makes no span and changes no header when tracing is off', async () => {
    const topic = await kit.createTopic(unique('untraced'), 1);
    const dlt = await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('untraced-group');
    const inHandler = await start(topic, groupId, {});
    const reader = await new TopicReader().start([dlt]);
    readers.push(reader);
    await kit.produce(
      topic,
      [1, 2].map((id) => ({ value: JSON.stringify({ id }), headers: { traceparent: TRACEPARENT } })),
    );
    const record = await theOnly('the dead-letter record', () => reader.of(dlt));
    await waitFor('both records committed', async () => (await kit.committed(groupId, topic))[0] === '2');

    expect(inHandler.map((h) => h.id)).toEqual([1, 2, 2]);
    expect(inHandler.every((h) => h.active === undefined)).toBe(true);
    expect(exporter.getFinishedSpans().filter((s) => s.name !== 'save order')).toEqual([]);
    expect(record.headers.traceparent).toBe(TRACEPARENT);
  }, 90_000);
});
