import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerModule } from 'nestjs-kafka-consumer';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const RECORDS = 10;

describe('prom-client metrics', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  type NamedValue = { value: number; labels: Record<string, string | number | undefined>; metricName?: string };

  /** The value of `name` with exactly these labels (0 when absent). */
  async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
    const metric = registry.getSingleMetric(name);
    if (!metric) throw new Error(`${name} is not registered`);
    const { values } = await metric.get();
    const match = values.find((v) =>
      Object.entries(labels).every(([key, expected]) => String(v.labels[key]) === expected),
    );
    return match?.value ?? 0;
  }

  it(`counts ${RECORDS} records with one dead-lettered, in the app's own registry`, async () => {
    const topic = await kit.createTopic(unique('metrics'), 1);
    await kit.createTopic(`${topic}-dlt`, 1);
    const groupId = unique('metrics-group');
    const registry = new Registry();
    let handled = 0;

    @Controller()
    class OrdersController {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() order: { id: number }) {
        handled++;
        if (order.id === 4) throw new Error('order 4 is invalid');
      }
    }
    const app = await startConsumerApp({
      imports: [
        KafkaConsumerModule.forRoot({
          client: { clientId: 'metrics-test', brokers: brokers() },
          retry: { attempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
          deadLetter: { enabled: true },
          metrics: { registry, prefix: 'orders_' },
        }),
      ],
      controllers: [OrdersController],
    });
    apps.push(app);
    // Registered at listen(), in this registry only.
    const names = (await registry.getMetricsAsJSON()).map((m) => `${m.name} (${m.type})`);
    console.info(`[metrics] ${names.join(', ')}`);
    expect(names).toContain('orders_records_processed_total (counter)');
    expect(names).toContain('orders_record_processing_duration_seconds (histogram)');

    await kit.produce(
      topic,
      Array.from({ length: RECORDS }, (_, id) => ({ value: JSON.stringify({ id }) })),
    );
    const byTopic = { group: groupId, topic };
    await waitFor(
      'every record counted',
      async () => (await value(registry, 'orders_records_processed_total', byTopic)) === RECORDS - 1,
    );
    await waitFor(
      'the committed end of the partition',
      async () => (await kit.committed(groupId, topic))[0] === String(RECORDS),
    );
    await waitFor('the lag to reach 0 after the commit', async () => {
      const lag = await registry.getSingleMetric('orders_partition_lag')!.get();
      return lag.values.length === 1 && lag.values[0].value === 0;
    });

    expect(handled).toBe(RECORDS + 1);
    expect(await value(registry, 'orders_records_failed_total', { ...byTopic, outcome: 'dead-lettered' })).toBe(1);
    expect(await value(registry, 'orders_records_dead_lettered_total', byTopic)).toBe(1);
    expect(await value(registry, 'orders_records_skipped_total', byTopic)).toBe(0);
    expect(await value(registry, 'orders_records_retried_total', byTopic)).toBe(0);
    const durations = await registry.getSingleMetric('orders_record_processing_duration_seconds')!.get();
    const count = (result: string) =>
      (durations.values as NamedValue[]).find(
        (v) => v.metricName?.endsWith('_count') && v.labels.result === result && v.labels.topic === topic,
      )?.value;
    expect(count('processed')).toBe(RECORDS - 1);
    expect(count('failed')).toBe(1);
    expect(await value(registry, 'orders_partition_lag', { ...byTopic, partition: '0' })).toBe(0);
    expect(await value(registry, 'orders_assigned_partitions', byTopic)).toBe(1);
    expect(await value(registry, 'orders_records_in_flight', byTopic)).toBe(0);
    expect(await value(registry, 'orders_blocked_partitions', byTopic)).toBe(0);
    expect(await value(registry, 'orders_rebalances_total', { group: groupId })).toBe(1);
    const commits = await registry.getSingleMetric('orders_commit_duration_seconds')!.get();
    expect(
      (commits.values as NamedValue[]).find((v) => v.metricName === 'orders_commit_duration_seconds_count')?.value,
    ).toBeGreaterThan(0);
    expect(await registry.metrics()).toContain(`orders_records_processed_total{group="${groupId}",topic="${topic}"} 9`);

    // Closing the app takes its metrics out of the registry.
    await apps.pop()!.close();
    expect(registry.getSingleMetric('orders_records_processed_total')).toBeUndefined();
  }, 90_000);
});
