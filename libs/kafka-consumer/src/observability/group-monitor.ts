import type { KafkaMessage } from 'kafkajs';
import type { RecordOutcome } from '../retry/record-outcome.js';
import type { KafkaConsumerStatus } from './consumer-events.js';
import type { ConsumerEventBus } from './consumer-event-bus.js';
import type { GroupHealthSnapshot } from './consumer-health.js';
import type { GroupObserver, ObservedPartition } from './group-observer.js';
import { PartitionMonitor } from './partition-monitor.js';

/** Where a partition's processing stands, read from the runner when health or metrics ask. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  /** Last offset stored for it by this member (next to read), null before the first commit. */
  readonly committed: number | null;
  /** Next offset to process, null when nothing was fetched yet. */
  readonly next: number | null;
  /** Records fetched and not finished (queued or running). */
  readonly inFlight: number;
}

/** What the crash policy decided about a crash. */
export interface CrashDecision {
  readonly action: 'restart' | 'exit';
  readonly restartInMs?: number;
}

export interface GroupMonitorOptions {
  readonly groupId: string;
  readonly bus: ConsumerEventBus;
  /** The group's status changed (the server aggregates `status`). */
  readonly onStatus: () => void;
  /** The crash policy: told of every crash, answers what follows. */
  readonly onCrash: (groupId: string, error: unknown, restarting: boolean) => CrashDecision;
  readonly now?: () => number;
  /** `disconnected` for a group that does not start with the app (`autoStartup: false`). Default `connecting`. */
  readonly initialStatus?: 'connecting' | 'disconnected';
}

/**
 * Observability state of one consumer group: its status and membership (joins, rebalances,
 * crashes), kept from what the engine reports (`GroupObserver`) and turned into events on the bus;
 * its partitions (blocks, high watermarks, record and commit events) are the `PartitionMonitor`'s.
 * Health and metrics read `snapshot()`.
 */
export class GroupMonitor implements GroupObserver {
  status: KafkaConsumerStatus;
  since: number;
  private crashError: unknown;
  private readonly partitionMonitor: PartitionMonitor;
  private positions: () => readonly PartitionPosition[] = () => [];
  private readonly now: () => number;

  constructor(private readonly options: GroupMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.status = options.initialStatus ?? 'connecting';
    this.since = this.now();
    this.partitionMonitor = new PartitionMonitor(options.groupId, options.bus, this.now);
  }

  get groupId(): string {
    return this.options.groupId;
  }

  /** Where health and metrics read the group's partitions from (the runner). */
  readPositionsFrom(positions: () => readonly PartitionPosition[]): void {
    this.positions = positions;
  }

  snapshot(): GroupHealthSnapshot & { readonly positions: readonly PartitionPosition[] } {
    const positions = this.positions();
    return {
      groupId: this.groupId,
      status: this.status,
      since: this.since,
      ...(this.status === 'crashed' && { crashError: this.crashError }),
      positions,
      partitions: this.partitionMonitor.lags(positions),
      blocked: this.partitionMonitor.blocked(),
    };
  }

  /** The group is being started (again) through the registry: it connects. */
  starting(): void {
    if (this.status === 'disconnected') this.setStatus('connecting');
  }

  // ---- GroupObserver ----------------------------------------------------------------------

  joined(generation: number, adopted: readonly ObservedPartition[], revoked: readonly string[]): void {
    const { bus, groupId } = this.options;
    if (revoked.length > 0) {
      this.partitionMonitor.forget(revoked);
      if (bus.listening('partitions.revoked'))
        bus.emit('partitions.revoked', { groupId, partitions: toPartitions(revoked) });
    }
    if (adopted.length > 0 && bus.listening('partitions.assigned')) {
      bus.emit('partitions.assigned', {
        groupId,
        generation,
        partitions: adopted.map(({ topic, partition }) => ({ topic, partition })),
      });
    }
    this.setStatus('connected');
    bus.emit('connected', { groupId, generation });
  }

  rebalancing(): void {
    if (this.status === 'rebalancing') return;
    this.setStatus('rebalancing');
    this.options.bus.emit('rebalancing', { groupId: this.groupId });
  }

  crashed(error: unknown, restarting: boolean, lost: readonly string[]): void {
    const { bus, groupId } = this.options;
    this.partitionMonitor.forget(lost);
    if (lost.length > 0 && bus.listening('partitions.lost')) {
      bus.emit('partitions.lost', { groupId, partitions: toPartitions(lost), reason: 'crashed' });
    }
    this.crashError = error;
    this.setStatus('crashed');
    const decision = this.options.onCrash(groupId, error, restarting);
    bus.emit('crashed', { groupId, error, ...decision });
  }

  fenced(partitions: readonly ObservedPartition[]): void {
    const { bus, groupId } = this.options;
    this.partitionMonitor.fenced(partitions);
    if (partitions.length > 0 && bus.listening('partitions.lost')) {
      const lost = partitions.map(({ topic, partition }) => ({ topic, partition }));
      bus.emit('partitions.lost', { groupId, partitions: lost, reason: 'fenced' });
    }
  }

  disconnected(): void {
    this.partitionMonitor.forget([]);
    this.setStatus('disconnected');
    this.options.bus.emit('disconnected', { groupId: this.groupId });
  }

  // The partitions' part, kept by the PartitionMonitor.

  fetched(topic: string, partition: number, highWatermark: string): void {
    this.partitionMonitor.fetched(topic, partition, highWatermark);
  }

  settled(partition: ObservedPartition, message: KafkaMessage, outcome: RecordOutcome, startedAt: number): void {
    this.partitionMonitor.settled(partition, message, outcome, startedAt);
  }

  redeliveryScheduled(partition: ObservedPartition, message: KafkaMessage, delayMs: number): void {
    this.partitionMonitor.redeliveryScheduled(partition, message, delayMs);
  }

  waitingUntil(partition: ObservedPartition, message: KafkaMessage, dueAt: number): void {
    this.partitionMonitor.waitingUntil(partition, message, dueAt);
  }

  offsetLoadFailed(partition: ObservedPartition, error: unknown, retryInMs: number): void {
    this.partitionMonitor.offsetLoadFailed(partition, error, retryInMs);
  }

  offsetLoaded(partition: ObservedPartition): void {
    this.partitionMonitor.offsetLoaded(partition);
  }

  committed(partitions: number, durationMs: number): void {
    this.partitionMonitor.committed(partitions, durationMs);
  }

  commitFailed(error: unknown, durationMs: number): void {
    this.partitionMonitor.commitFailed(error, durationMs);
  }

  // ---- internals --------------------------------------------------------------------------

  private setStatus(status: KafkaConsumerStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.since = this.now();
    this.options.onStatus();
  }
}

function toPartitions(keys: readonly string[]): Array<{ topic: string; partition: number }> {
  return keys.map((key) => {
    const at = key.lastIndexOf(':');
    return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
  });
}
