import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { resolveModuleOptions } from '../kafka-consumer.options.js';

const base = { client: { brokers: ['127.0.0.1:9092'] } };

describe('observability options', () => {
  it('reads health thresholds, metrics and the crash policy', () => {
    const registry = new Registry();
    const options = resolveModuleOptions({
      ...base,
      health: { maxBlockedMs: 5000 },
      metrics: { registry, prefix: 'app_kafka_' },
      onCrash: { action: 'restart', maxRestarts: 3, backoff: { type: 'fixed', delayMs: 500 } },
    });
    expect(options.health).toEqual({ maxUnavailableMs: 30_000, maxBlockedMs: 5000 });
    expect(options.metrics).toEqual({ registry, prefix: 'app_kafka_' });
    expect(options.onCrash).toMatchObject({
      action: 'restart',
      maxRestarts: 3,
      backoff: { type: 'fixed', delayMs: 500 },
    });
    expect(resolveModuleOptions({ ...base, metrics: true }).metrics).toEqual({ prefix: 'kafka_consumer_' });
    expect(resolveModuleOptions({ ...base, onCrash: 'exit' }).onCrash.action).toBe('exit');
  });

  it('reads tracing: off by default, true or a tracer name', () => {
    expect(resolveModuleOptions(base).tracing).toBe(false);
    expect(resolveModuleOptions({ ...base, tracing: true }).tracing).toEqual({ tracerName: 'nestjs-kafka-consumer' });
    expect(resolveModuleOptions({ ...base, tracing: { tracerName: 'orders' } }).tracing).toEqual({
      tracerName: 'orders',
    });
  });

  it.each([
    [{ onCrash: 'ignore' }, '"onCrash"', "'restart' | 'exit'"],
    [{ onCrash: { maxRestarts: 2 } }, '"onCrash.action"', "'restart' | 'exit'"],
    [{ onCrash: { action: 'restart', maxRestarts: -1 } }, '"onCrash.maxRestarts"', 'an integer >= 0'],
    [{ metrics: { registry: {} } }, '"metrics.registry"', 'a prom-client Registry'],
    [{ metrics: { prefix: 'kafka-consumer' } }, '"metrics.prefix"', 'Prometheus metric name prefix'],
    [{ metrics: { durationBuckets: [1, 0.5] } }, '"metrics.durationBuckets"', 'increasing'],
    [{ health: { maxBlockedMs: -1 } }, '"health.maxBlockedMs"', 'a number of ms'],
    [{ health: { maxBlocked: 1 } }, 'maxBlocked', 'maxBlockedMs'],
    [{ tracing: 'on' }, '"tracing"', 'true | false | { tracerName? }'],
    [{ tracing: { tracerName: '' } }, '"tracing.tracerName"', 'a non-empty string'],
    [{ tracing: { name: 'x' } }, 'name', 'tracerName'],
  ])('rejects %j naming the option', (extra, path, allowed) => {
    expect(() => resolveModuleOptions({ ...base, ...extra })).toThrow(path);
    expect(() => resolveModuleOptions({ ...base, ...extra })).toThrow(allowed);
  });
});
