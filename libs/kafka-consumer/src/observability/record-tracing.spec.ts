import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { applyRedactError } from '../messages/redacted-error-text.js';
import {
  describeOutcome,
  errorType,
  KAFKA_HEADER_GETTER,
  KAFKA_HEADER_SETTER,
  RecordTracing,
  recordSpanAttributes,
} from './record-tracing.js';

const message = (over: { key?: Buffer | null; value?: Buffer | null } = {}): KafkaMessage => ({
  key: null,
  value: Buffer.from('{}'),
  timestamp: '0',
  attributes: 0,
  offset: '42',
  headers: {},
  ...over,
});

describe('record tracing', () => {
  it('names the record in messaging attributes; the key only when present', () => {
    const record = { groupId: 'g', topic: 'orders', partition: 3, message: message({ key: Buffer.from('k-1') }) };
    expect(recordSpanAttributes(record)).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'orders',
      'messaging.consumer.group.name': 'g',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': 42,
      'messaging.kafka.message.key': 'k-1',
    });
    const tombstone = recordSpanAttributes({ ...record, message: message({ value: null }) });
    expect(tombstone['messaging.kafka.message.key']).toBeUndefined();
    expect(tombstone['messaging.kafka.message.tombstone']).toBe(true);
  });

  it('reads Buffer, string and repeated headers, and writes strings', () => {
    const headers = { traceparent: Buffer.from('00-abc'), tracestate: ['a=1', Buffer.from('b=2')], other: undefined };
    expect(KAFKA_HEADER_GETTER.get(headers, 'traceparent')).toBe('00-abc');
    expect(KAFKA_HEADER_GETTER.get(headers, 'tracestate')).toEqual(['a=1', 'b=2']);
    expect(KAFKA_HEADER_GETTER.get(headers, 'other')).toBeUndefined();
    expect(KAFKA_HEADER_GETTER.keys(headers)).toEqual(['traceparent', 'tracestate', 'other']);
    const written: Record<string, string> = {};
    KAFKA_HEADER_SETTER.set(written, 'traceparent', '00-def');
    expect(written).toEqual({ traceparent: '00-def' });
  });

  it('describes outcomes and error types', () => {
    const error = new TypeError('bad');
    expect(describeOutcome({ kind: 'processed' })).toEqual({ outcome: 'processed' });
    expect(describeOutcome({ kind: 'dead-lettered', topic: 't-dlt', error })).toEqual({
      outcome: 'dead-lettered',
      error,
    });
    expect(describeOutcome({ kind: 'redeliver', reason: 'exhausted', error })).toEqual({
      outcome: 'redeliver:exhausted',
      error,
    });
    expect(errorType(error)).toBe('TypeError');
    expect(errorType('a string')).toBe('_OTHER');
  });

  it("writes an error's redactError text, not its message, in the span's retry event, exception and status", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    try {
      const tracing = await RecordTracing.load({ tracerName: 'redaction-test' });
      const error = new Error('declined for bob@example.org');
      applyRedactError(
        error,
        () => 'declined for <email>',
        () => undefined,
      );
      const record = { groupId: 'g', topic: 'orders', partition: 0, message: message() };
      await tracing.trace(record, async () => {
        tracing.retrying(record.message, error, 2);
        return { kind: 'dead-lettered', topic: 'orders-dlt', error };
      });
      const [span] = exporter.getFinishedSpans();
      expect(span.status.message).toBe('declined for <email>');
      const written = JSON.stringify(span.events);
      expect(written).toContain('declined for <email>');
      expect(written).not.toContain('bob@example.org');
      expect(span.events.map((e) => e.name)).toEqual(['retry', 'exception']);
    } finally {
      await provider.shutdown();
      trace.disable();
      context.disable();
    }
  });
});
