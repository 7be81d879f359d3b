import type { LoggerService } from '@nestjs/common';
import type { ResolvedModuleOptions } from '../kafka-consumer.options.js';
import type { KafkaConsumerStatus } from './consumer-events.js';
import { ConsumerEventBus } from './consumer-event-bus.js';
import { evaluateHealth, type ConsumerHealth } from './consumer-health.js';
import { ConsumerMetrics } from './consumer-metrics.js';
import { CrashSupervisor } from './crash-supervisor.js';
import { GroupMonitor, type PartitionPosition } from './group-monitor.js';

export interface ConsumerObservabilityDeps {
  readonly logger: LoggerService;
  /** Runs a crashed group's consumer again. */
  restart(groupId: string): Promise<void>;
  /** Ends the process non-zero (crash policy `exit`). */
  exit(groupId: string, error: unknown): void;
  /** The aggregated status changed. */
  status(status: KafkaConsumerStatus): void;
}

/** Worst first: the server's status is the worst of its groups'. */
const STATUS_ORDER: readonly KafkaConsumerStatus[] = [
  'crashed',
  'rebalancing',
  'connecting',
  'connected',
  'disconnected',
];

/**
 * The observability of one `KafkaConsumerServer`: the event bus, a monitor per group, the crash
 * supervisor and (when asked) the metrics. The server hands each group's monitor to its runner.
 */
export class ConsumerObservability {
  readonly bus: ConsumerEventBus;
  private readonly monitors = new Map<string, GroupMonitor>();
  private readonly supervisor: CrashSupervisor;
  private metrics: ConsumerMetrics | null = null;
  private lastStatus: KafkaConsumerStatus | undefined;

  constructor(
    private readonly options: ResolvedModuleOptions,
    private readonly deps: ConsumerObservabilityDeps,
  ) {
    this.bus = new ConsumerEventBus((message) => deps.logger.error(message));
    this.supervisor = new CrashSupervisor(options.onCrash, {
      logger: deps.logger,
      restart: (groupId) => deps.restart(groupId),
      restartFailed: (groupId, error) => this.monitors.get(groupId)?.crashed(error, false, []),
      exit: (groupId, error) => deps.exit(groupId, error),
    });
    this.bus.on('connected', ({ groupId }) => this.supervisor.joined(groupId));
  }

  /** Registers the metrics when the `metrics` option asks for them (imports prom-client). */
  async start(): Promise<void> {
    if (!this.options.metrics || this.metrics) return;
    this.metrics = new ConsumerMetrics(this.options.metrics, this.bus, () => this.snapshots());
    await this.metrics.start();
  }

  /** The monitor (the runner's observer) of a group; `positions` reads its partitions. */
  monitor(groupId: string, positions: () => readonly PartitionPosition[], autoStartup = true): GroupMonitor {
    const monitor = new GroupMonitor({
      groupId,
      initialStatus: autoStartup ? 'connecting' : 'disconnected',
      bus: this.bus,
      onStatus: () => this.statusChanged(),
      onCrash: (id, error, restarting) => this.supervisor.crashed(id, error, restarting),
    });
    monitor.readPositionsFrom(positions);
    this.monitors.set(groupId, monitor);
    this.statusChanged();
    return monitor;
  }

  /** A stopped (or not auto-started) group is started through the registry. */
  starting(groupId: string): void {
    this.monitors.get(groupId)?.starting();
  }

  snapshots() {
    return [...this.monitors.values()].map((monitor) => monitor.snapshot());
  }

  health(now = Date.now()): ConsumerHealth {
    return evaluateHealth(this.snapshots(), this.options.health, now);
  }

  /** Status of every group, worst first (see `KafkaConsumerStatus`). */
  get status(): KafkaConsumerStatus | undefined {
    const statuses = new Set([...this.monitors.values()].map((m) => m.status));
    return STATUS_ORDER.find((status) => statuses.has(status));
  }

  /** Shutdown: no restart starts any more; metrics leave the registry. */
  close(): void {
    this.supervisor.close();
    this.metrics?.close();
    this.metrics = null;
  }

  private statusChanged(): void {
    const status = this.status;
    if (status === undefined || status === this.lastStatus) return;
    this.lastStatus = status;
    this.deps.status(status);
  }
}
