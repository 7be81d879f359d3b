import type { Registry } from 'prom-client';
import { importOptional } from '../offset-stores/optional-dependency.js';
import type { ResolvedMetricsOptions } from '../options/observability.options.js';
import type { ConsumerEventBus } from './consumer-event-bus.js';
import type { GroupHealthSnapshot } from './consumer-health.js';
import type { PartitionPosition } from './group-monitor.js';

type Snapshot = GroupHealthSnapshot & { readonly positions: readonly PartitionPosition[] };

/** Name, type and labels of every metric (README's table is checked against it). */
export const METRIC_DEFINITIONS = {
  records_processed_total: { type: 'counter', labels: ['group', 'topic'], help: 'Records processed successfully.' },
  records_failed_total: {
    type: 'counter',
    labels: ['group', 'topic', 'outcome'],
    help: 'Records whose handler failed after in-process retries, by what became of them.',
  },
  records_retried_total: {
    type: 'counter',
    labels: ['group', 'topic', 'via'],
    help: 'Failed records delivered again: via="redelivery" (the partition waits) or via="retry-topic".',
  },
  records_dead_lettered_total: {
    type: 'counter',
    labels: ['group', 'topic'],
    help: 'Records written to a dead-letter topic.',
  },
  records_skipped_total: {
    type: 'counter',
    labels: ['group', 'topic', 'reason'],
    help: 'Records committed without being processed.',
  },
  record_processing_duration_seconds: {
    type: 'histogram',
    labels: ['group', 'topic', 'result'],
    help: 'Time from dispatch to outcome of one record (decoding, pipeline, in-process retries).',
  },
  partition_lag: {
    type: 'gauge',
    labels: ['group', 'topic', 'partition'],
    help: 'Records between the last fetched high watermark and the committed offset (or next to process).',
  },
  records_in_flight: {
    type: 'gauge',
    labels: ['group', 'topic'],
    help: 'Records fetched and not finished yet (queued or running).',
  },
  assigned_partitions: { type: 'gauge', labels: ['group', 'topic'], help: 'Partitions assigned to this member.' },
  blocked_partitions: {
    type: 'gauge',
    labels: ['group', 'topic', 'reason'],
    help: 'Partitions that cannot move past a record (topic="*": every partition, the offset store is down).',
  },
  rebalances_total: {
    type: 'counter',
    labels: ['group'],
    help: 'Group joins completed by this member (the first one included).',
  },
  commit_duration_seconds: { type: 'histogram', labels: ['group'], help: 'Time one offset-store save took.' },
  commits_failed_total: { type: 'counter', labels: ['group'], help: 'Offset-store saves that failed.' },
} as const;

type MetricName = keyof typeof METRIC_DEFINITIONS;

/**
 * prom-client metrics of the consumer groups. Counters and histograms are subscribers of the
 * event bus; gauges (lag, in flight, assigned, blocked) are read from the group monitors when the
 * registry is scraped, so the record path pays for nothing but the events metrics listen to.
 */
export class ConsumerMetrics {
  private readonly unsubscribe: Array<() => void> = [];
  private readonly names: string[] = [];
  private registry: Registry | undefined;

  constructor(
    private readonly options: ResolvedMetricsOptions,
    private readonly bus: ConsumerEventBus,
    private readonly snapshots: () => Snapshot[],
  ) {}

  /** Imports prom-client (a `MissingDependencyError` when absent) and registers every metric. */
  async start(): Promise<void> {
    const prom = await importOptional(() => import('prom-client'), 'prom-client', 'The metrics option');
    const registry = (this.options.registry as Registry | undefined) ?? prom.register;
    this.registry = registry;
    const { prefix, durationBuckets } = this.options;
    const make = <N extends MetricName>(name: N, extra: Record<string, unknown> = {}) => {
      const { type, labels, help } = METRIC_DEFINITIONS[name];
      const fullName = `${prefix}${name}`;
      this.names.push(fullName);
      const config = { name: fullName, help, labelNames: [...labels], registers: [registry], ...extra };
      if (type === 'counter') return new prom.Counter(config);
      if (type === 'gauge') return new prom.Gauge(config);
      return new prom.Histogram(config);
    };
    const processed = make('records_processed_total') as import('prom-client').Counter;
    const failed = make('records_failed_total') as import('prom-client').Counter;
    const retried = make('records_retried_total') as import('prom-client').Counter;
    const deadLettered = make('records_dead_lettered_total') as import('prom-client').Counter;
    const skipped = make('records_skipped_total') as import('prom-client').Counter;
    const duration = make('record_processing_duration_seconds', {
      ...(durationBuckets && { buckets: durationBuckets }),
    }) as import('prom-client').Histogram;
    const rebalances = make('rebalances_total') as import('prom-client').Counter;
    const commitDuration = make('commit_duration_seconds', {
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }) as import('prom-client').Histogram;
    const commitsFailed = make('commits_failed_total') as import('prom-client').Counter;
    const read = () => this.snapshots();
    make('partition_lag', {
      collect(this: import('prom-client').Gauge) {
        this.reset();
        for (const group of read())
          for (const { topic, partition, lag } of group.partitions)
            if (lag !== null) this.set({ group: group.groupId, topic, partition: String(partition) }, lag);
      },
    });
    make('records_in_flight', {
      collect(this: import('prom-client').Gauge) {
        this.reset();
        for (const group of read())
          for (const { topic, inFlight } of group.positions) this.inc({ group: group.groupId, topic }, inFlight);
      },
    });
    make('assigned_partitions', {
      collect(this: import('prom-client').Gauge) {
        this.reset();
        for (const group of read())
          for (const { topic } of group.positions) this.inc({ group: group.groupId, topic }, 1);
      },
    });
    make('blocked_partitions', {
      collect(this: import('prom-client').Gauge) {
        this.reset();
        for (const group of read())
          for (const { topic, reason } of group.blocked) this.inc({ group: group.groupId, topic, reason }, 1);
      },
    });

    const { bus } = this;
    this.unsubscribe.push(
      bus.on('record.processed', ({ groupId, topic, durationMs }) => {
        processed.inc({ group: groupId, topic });
        duration.observe({ group: groupId, topic, result: 'processed' }, durationMs / 1000);
      }),
      bus.on('record.failed', ({ groupId, topic, outcome, reason, durationMs }) => {
        failed.inc({ group: groupId, topic, outcome });
        duration.observe({ group: groupId, topic, result: 'failed' }, durationMs / 1000);
        if (outcome === 'redeliver' && reason !== 'aborted') retried.inc({ group: groupId, topic, via: 'redelivery' });
        else if (outcome === 'forwarded') retried.inc({ group: groupId, topic, via: 'retry-topic' });
        else if (outcome === 'skipped') skipped.inc({ group: groupId, topic, reason: reason ?? 'unknown' });
      }),
      bus.on('record.dead-lettered', ({ groupId, topic }) => deadLettered.inc({ group: groupId, topic })),
      bus.on('connected', ({ groupId }) => rebalances.inc({ group: groupId })),
      bus.on('offsets.committed', ({ groupId, durationMs }) =>
        commitDuration.observe({ group: groupId }, durationMs / 1000),
      ),
      bus.on('offsets.commit-failed', ({ groupId }) => commitsFailed.inc({ group: groupId })),
    );
  }

  /** Stops listening and removes the metrics from the registry (an app created again registers them anew). */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const name of this.names.splice(0)) this.registry?.removeSingleMetric(name);
  }
}
