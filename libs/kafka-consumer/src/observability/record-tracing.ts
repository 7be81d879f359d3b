// Only the private parts name OpenTelemetry's types: the declarations of this file must compile
// in apps without @opentelemetry/api (it is an optional peer).
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { redactedMessageOf, stackWithMessage } from '../messages/redacted-error-text.js';
import { importOptional } from '../offset-stores/optional-dependency.js';
import type { ResolvedTracingOptions } from '../options/observability.options.js';
import type { RecordOutcome } from '../retry/record-outcome.js';

type OtelApi = typeof import('@opentelemetry/api');

/** Where one record was read from, for its span. */
export interface TracedRecord {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** Span attribute values this file sets (OpenTelemetry's `Attributes`, structurally). */
export type SpanAttributes = Record<string, string | number | boolean>;

/** Reads propagation headers (`traceparent`, `tracestate`) from kafkajs headers, whose values are Buffers. */
export const KAFKA_HEADER_GETTER: {
  keys(headers: IHeaders): string[];
  get(headers: IHeaders, key: string): string | string[] | undefined;
} = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => {
    const value = headers[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.map((v) => v.toString());
    return value.toString();
  },
};

/** Writes propagation headers into the headers of a record this package produces. */
export const KAFKA_HEADER_SETTER: { set(headers: IHeaders, key: string, value: string): void } = {
  set: (headers, key, value) => {
    headers[key] = value;
  },
};

/** OpenTelemetry messaging attributes of a record's process span. */
export function recordSpanAttributes(record: TracedRecord): SpanAttributes {
  const { message } = record;
  const attributes: SpanAttributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': record.topic,
    'messaging.consumer.group.name': record.groupId,
    'messaging.destination.partition.id': String(record.partition),
    'messaging.kafka.offset': Number(message.offset),
  };
  if (message.key !== null && message.key !== undefined) {
    attributes['messaging.kafka.message.key'] = message.key.toString();
  }
  if (message.value === null) attributes['messaging.kafka.message.tombstone'] = true;
  return attributes;
}

/** The class name of a failure (`error.type`), `'_OTHER'` when it has none. */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.constructor.name || error.name || 'Error';
  return '_OTHER';
}

/** What the span says of an outcome: `kafka_consumer.outcome` and, for a failure, the error. */
export function describeOutcome(outcome: RecordOutcome): { outcome: string; error?: unknown } {
  switch (outcome.kind) {
    case 'processed':
      return { outcome: 'processed' };
    case 'skipped':
    case 'redeliver':
      return { outcome: `${outcome.kind}:${outcome.reason}`, error: outcome.error };
    default:
      return { outcome: outcome.kind, error: outcome.error };
  }
}

/** The error's message, or its `redactError` text when its handler has that hook. */
function messageOf(error: unknown): string {
  const redacted = redactedMessageOf(error);
  if (redacted !== undefined) return redacted;
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * OpenTelemetry tracing of the record path (the `tracing` option): a CONSUMER span `process
 * <topic>` per delivery of a record, parented on the context the globally registered propagator
 * extracts from its headers, active while the handler runs (in-process retries are events on it),
 * and written into the headers of the records sent to dead-letter and retry topics.
 * `@opentelemetry/api` is imported only when the option is on.
 */
export class RecordTracing {
  /** The context (span) of each record being processed, for its retries and failure-topic writes. */
  private readonly active = new WeakMap<KafkaMessage, Context>();

  private constructor(
    private readonly api: OtelApi,
    private readonly tracer: Tracer,
  ) {}

  /** Imports `@opentelemetry/api` (a `MissingDependencyError` when absent). */
  static async load(options: ResolvedTracingOptions): Promise<RecordTracing> {
    const api = await importOptional(() => import('@opentelemetry/api'), '@opentelemetry/api', 'The tracing option');
    return new RecordTracing(api, api.trace.getTracer(options.tracerName));
  }

  /** Runs `process` in the record's span and ends the span with its outcome. */
  async trace(record: TracedRecord, process: () => Promise<RecordOutcome>): Promise<RecordOutcome> {
    const { api } = this;
    const { message } = record;
    const parent = api.propagation.extract(api.ROOT_CONTEXT, message.headers ?? {}, KAFKA_HEADER_GETTER);
    const span = this.tracer.startSpan(
      `process ${record.topic}`,
      { kind: api.SpanKind.CONSUMER, attributes: recordSpanAttributes(record) },
      parent,
    );
    const context = api.trace.setSpan(parent, span);
    this.active.set(message, context);
    try {
      const outcome = await api.context.with(context, process);
      const { outcome: name, error } = describeOutcome(outcome);
      span.setAttribute('kafka_consumer.outcome', name);
      if (error !== undefined || outcome.kind !== 'processed') this.failed(span, error);
      return outcome;
    } catch (error) {
      this.failed(span, error);
      throw error;
    } finally {
      this.active.delete(message);
      span.end();
    }
  }

  /** An in-process retry of the record is due: an event on its span. */
  retrying(message: KafkaMessage, error: unknown, nextAttempt: number): void {
    const context = this.active.get(message);
    if (!context) return;
    this.api.trace.getSpan(context)?.addEvent('retry', {
      'kafka_consumer.attempt': nextAttempt,
      'exception.type': errorType(error),
      'exception.message': messageOf(error),
    });
  }

  /**
   * Writes the context of `message`'s span (the active context otherwise) into `headers` of a
   * record written on its behalf, replacing the propagation headers copied from the source record.
   */
  inject(message: KafkaMessage, headers: IHeaders): void {
    const { api } = this;
    for (const field of api.propagation.fields()) delete headers[field];
    api.propagation.inject(this.active.get(message) ?? api.context.active(), headers, KAFKA_HEADER_SETTER);
  }

  private failed(span: Span, error: unknown): void {
    const { api } = this;
    span.setAttribute('error.type', errorType(error));
    const redacted = redactedMessageOf(error);
    if (error instanceof Error && redacted !== undefined) {
      const stack = error.stack && stackWithMessage(error.name, error.stack, redacted);
      span.recordException({ name: error.name, message: redacted, ...(stack && { stack }) });
    } else if (error instanceof Error) span.recordException(error);
    else if (error !== undefined) span.recordException(messageOf(error));
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: messageOf(error) });
  }
}
