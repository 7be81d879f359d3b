import type { ResolvedCrashPolicy } from '../observability/crash-supervisor.js';
import type { HealthThresholds } from '../observability/consumer-health.js';
import type { BackoffOptions, ResolvedBackoff } from '../util/backoff.js';
import { durationMs, fail, isPlainObject, oneOf, readTracked } from './option-readers.js';
import { resolveBackoff } from './retry.options.js';

// Observability: health thresholds, metrics, crash policy ----

/**
 * A prom-client `Registry` (structurally: this package does not import prom-client's types, so
 * apps without it still type-check).
 */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
}

/** `metrics` module option. */
export interface MetricsOptions {
  /** Registry the metrics are registered in. Default prom-client's global `register`. */
  registry?: MetricsRegistry;
  /** Prefix of every metric name. Default `'kafka_consumer_'`. */
  prefix?: string;
  /** Buckets of the processing-duration histogram, in seconds. Default prom-client's (0.005 … 10). */
  durationBuckets?: number[];
}

/** `onCrash` module option in full. */
export interface CrashPolicyOptions {
  /** `'restart'` the group's consumer (with `backoff`), or `'exit'` the process with code 1. */
  action: 'restart' | 'exit';
  /** Wait before each restart. Default `{ type: 'exponential', delayMs: 1000, maxDelayMs: 30000 }`. */
  backoff?: BackoffOptions;
  /** Crashes in a row (without a successful join) after which the process exits anyway. Default unlimited. */
  maxRestarts?: number;
}

/** Health, metrics and crash policy; part of the module options. */
export interface ObservabilityOptions {
  /** When `KafkaConsumerHealthIndicator` reports down. */
  health?: {
    /**
     * A group crashed, or has been connecting or rebalancing (broker unreachable) for longer than
     * this, in ms. Default 30000.
     */
    maxUnavailableMs?: number;
    /** A partition blocked on one record (failing, its dead-letter write failing, the store down) for longer, in ms. Default 60000. */
    maxBlockedMs?: number;
  };
  /**
   * prom-client metrics (prom-client must be installed): `true` registers them in prom-client's
   * global registry, an object picks the registry and prefix. Default `false` (nothing registered).
   */
  metrics?: boolean | MetricsOptions;
  /**
   * What happens when a group's kafkajs consumer stops on an error it does not restart from:
   * `'restart'` it with backoff, or `'exit'` the process with code 1 so an orchestrator restarts
   * it. Default `'restart'` (backoff 1 s doubling to 30 s, unlimited).
   */
  onCrash?: 'restart' | 'exit' | CrashPolicyOptions;
  /**
   * OpenTelemetry tracing (@opentelemetry/api must be installed): a CONSUMER span per record,
   * parented on the record's `traceparent` header, and the span's context written into the
   * records sent to dead-letter and retry topics. `true` uses the tracer `'nestjs-kafka-consumer'`.
   * Default `false` (no span, nothing imported).
   */
  tracing?: boolean | TracingOptions;
}

/** `tracing` module option in full. */
export interface TracingOptions {
  /** Name of the tracer the spans are made with. Default `'nestjs-kafka-consumer'`. */
  tracerName?: string;
}

export interface ResolvedTracingOptions {
  tracerName: string;
}

export interface ResolvedMetricsOptions {
  registry?: MetricsRegistry;
  prefix: string;
  durationBuckets?: number[];
}

export interface ResolvedObservabilityOptions {
  health: HealthThresholds;
  metrics: ResolvedMetricsOptions | false;
  onCrash: ResolvedCrashPolicy;
  tracing: ResolvedTracingOptions | false;
}

export const DEFAULT_CRASH_BACKOFF: ResolvedBackoff = {
  type: 'exponential',
  delayMs: 1000,
  multiplier: 2,
  maxDelayMs: 30_000,
  jitter: 0,
};
export const DEFAULT_MAX_UNAVAILABLE_MS = 30_000;
export const DEFAULT_MAX_BLOCKED_MS = 60_000;
export const DEFAULT_METRICS_PREFIX = 'kafka_consumer_';
export const DEFAULT_TRACER_NAME = 'nestjs-kafka-consumer';

const CRASH_ACTIONS = ['restart', 'exit'] as const;

export function resolveObservability(raw: Record<string, unknown>): ResolvedObservabilityOptions {
  return {
    health: resolveHealth(raw.health),
    metrics: resolveMetrics(raw.metrics),
    onCrash: resolveCrashPolicy(raw.onCrash),
    tracing: resolveTracing(raw.tracing),
  };
}

function resolveTracing(value: unknown): ResolvedTracingOptions | false {
  if (value === undefined || value === false) return false;
  if (value === true) return { tracerName: DEFAULT_TRACER_NAME };
  if (!isPlainObject(value)) return fail('tracing', value, 'true | false | { tracerName? }');
  const { options, rejectUnknown } = readTracked('tracing', value);
  const { tracerName = DEFAULT_TRACER_NAME } = options;
  if (typeof tracerName !== 'string' || tracerName.trim() === '') {
    fail('tracing.tracerName', tracerName, 'a non-empty string');
  }
  rejectUnknown();
  return { tracerName: tracerName as string };
}

function resolveHealth(value: unknown): HealthThresholds {
  if (value === undefined)
    return { maxUnavailableMs: DEFAULT_MAX_UNAVAILABLE_MS, maxBlockedMs: DEFAULT_MAX_BLOCKED_MS };
  if (!isPlainObject(value)) return fail('health', value, 'an object { maxUnavailableMs?, maxBlockedMs? }');
  const { options, rejectUnknown } = readTracked('health', value);
  const resolved = {
    maxUnavailableMs: durationMs('health.maxUnavailableMs', options.maxUnavailableMs, DEFAULT_MAX_UNAVAILABLE_MS),
    maxBlockedMs: durationMs('health.maxBlockedMs', options.maxBlockedMs, DEFAULT_MAX_BLOCKED_MS),
  };
  rejectUnknown();
  return resolved;
}

function resolveMetrics(value: unknown): ResolvedMetricsOptions | false {
  if (value === undefined || value === false) return false;
  if (value === true) return { prefix: DEFAULT_METRICS_PREFIX };
  if (!isPlainObject(value)) return fail('metrics', value, 'true | false | { registry?, prefix?, durationBuckets? }');
  const { options, rejectUnknown } = readTracked('metrics', value);
  const { registry, prefix = DEFAULT_METRICS_PREFIX, durationBuckets } = options;
  if (
    registry !== undefined &&
    (!isPlainObject(registry) || typeof (registry as { registerMetric?: unknown }).registerMetric !== 'function')
  ) {
    fail('metrics.registry', registry, "a prom-client Registry (new Registry(), or prom-client's register)");
  }
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(prefix)) {
    fail(
      'metrics.prefix',
      prefix,
      'a Prometheus metric name prefix such as "kafka_consumer_" ([a-zA-Z_:][a-zA-Z0-9_:]*)',
    );
  }
  if (
    durationBuckets !== undefined &&
    (!Array.isArray(durationBuckets) ||
      durationBuckets.length === 0 ||
      durationBuckets.some((b, i) => typeof b !== 'number' || !(b > 0) || (i > 0 && b <= durationBuckets[i - 1])))
  ) {
    fail('metrics.durationBuckets', durationBuckets, 'a non-empty increasing array of seconds > 0');
  }
  rejectUnknown();
  return {
    prefix: prefix as string,
    ...(registry !== undefined && { registry: registry as unknown as MetricsRegistry }),
    ...(durationBuckets !== undefined && { durationBuckets: durationBuckets as number[] }),
  };
}

function resolveCrashPolicy(value: unknown): ResolvedCrashPolicy {
  const defaults = { backoff: { ...DEFAULT_CRASH_BACKOFF }, maxRestarts: Number.POSITIVE_INFINITY };
  if (value === undefined) return { action: 'restart', ...defaults };
  if (typeof value === 'string') return { action: oneOf('onCrash', value, CRASH_ACTIONS, 'restart'), ...defaults };
  if (!isPlainObject(value)) return fail('onCrash', value, "'restart' | 'exit' | { action, backoff?, maxRestarts? }");
  const { options, rejectUnknown } = readTracked('onCrash', value);
  if (options.action === undefined) fail('onCrash.action', undefined, "'restart' | 'exit'");
  const action = oneOf('onCrash.action', options.action, CRASH_ACTIONS, 'restart');
  const backoff = resolveBackoff('onCrash.backoff', options.backoff, DEFAULT_CRASH_BACKOFF);
  const maxRestarts = options.maxRestarts;
  if (
    maxRestarts !== undefined &&
    (typeof maxRestarts !== 'number' || !Number.isInteger(maxRestarts) || maxRestarts < 0)
  ) {
    fail('onCrash.maxRestarts', maxRestarts, 'an integer >= 0');
  }
  rejectUnknown();
  return { action, backoff, maxRestarts: (maxRestarts as number | undefined) ?? Number.POSITIVE_INFINITY };
}
