import { describeError } from '../kafka-consumer.messages.js';
import type { BlockedPartition, KafkaConsumerStatus } from './consumer-events.js';

/** What one group looks like at a moment (read from its monitor). */
export interface GroupHealthSnapshot {
  readonly groupId: string;
  readonly status: KafkaConsumerStatus;
  /** Epoch ms since the group is in `status`. */
  readonly since: number;
  /** The error of the last crash, while `crashed`. */
  readonly crashError?: unknown;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly lag: number | null;
  }>;
  readonly blocked: readonly BlockedPartition[];
}

/** When the indicator reports `down` (module option `health`). */
export interface HealthThresholds {
  /** A group crashed, or not connected to its group (broker unreachable, stuck rebalance) for longer, in ms. */
  readonly maxUnavailableMs: number;
  /** A partition blocked on one record for longer, in ms. */
  readonly maxBlockedMs: number;
}

export interface BlockedPartitionDetails {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: string;
  readonly since: string;
  readonly blockedForMs: number;
  readonly redeliveries: number;
  readonly retryAt?: string;
  readonly error?: string;
}

export interface GroupHealthDetails {
  readonly status: KafkaConsumerStatus;
  readonly since: string;
  readonly error?: string;
  readonly partitions: ReadonlyArray<{
    readonly topic: string;
    readonly partition: number;
    readonly lag: number | null;
  }>;
  readonly blocked: readonly BlockedPartitionDetails[];
}

export interface ConsumerHealth {
  readonly healthy: boolean;
  readonly groups: Record<string, GroupHealthDetails>;
  /** One sentence per reason the consumer is down; empty when healthy. */
  readonly problems: string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** Decides up/down and the details shown, from each group's snapshot. Pure. */
export function evaluateHealth(
  snapshots: readonly GroupHealthSnapshot[],
  thresholds: HealthThresholds,
  now: number,
): ConsumerHealth {
  const groups: Record<string, GroupHealthDetails> = {};
  const problems: string[] = [];
  for (const group of snapshots) {
    const unavailableMs = now - group.since;
    const error = group.crashError === undefined ? undefined : describeError(group.crashError);
    if (group.status === 'crashed' && unavailableMs >= thresholds.maxUnavailableMs) {
      problems.push(`group "${group.groupId}" crashed ${seconds(unavailableMs)} ago: ${error}`);
    } else if (
      (group.status === 'connecting' || group.status === 'rebalancing') &&
      unavailableMs > thresholds.maxUnavailableMs
    ) {
      problems.push(`group "${group.groupId}" has been ${group.status} for ${seconds(unavailableMs)}`);
    }
    const blocked = group.blocked.map((b) => blockedDetails(b, now));
    for (const b of blocked) {
      // A retry-topic record waiting for its due time is the design, not a stall.
      if (b.reason === 'waiting-for-due-time' || b.blockedForMs <= thresholds.maxBlockedMs) continue;
      const where = b.partition < 0 ? 'every partition' : `${b.topic}[${b.partition}]`;
      const at = b.offset === '' ? '' : ` at offset ${b.offset}`;
      problems.push(
        `group "${group.groupId}": ${where} blocked${at} since ${b.since} (${b.reason}${b.error ? `: ${b.error}` : ''})`,
      );
    }
    groups[group.groupId] = {
      status: group.status,
      since: iso(group.since),
      ...(error !== undefined && group.status === 'crashed' && { error }),
      partitions: group.partitions,
      blocked,
    };
  }
  return { healthy: problems.length === 0, groups, problems };
}

function blockedDetails(b: BlockedPartition, now: number): BlockedPartitionDetails {
  return {
    topic: b.topic,
    partition: b.partition,
    offset: b.offset,
    reason: b.reason,
    since: iso(b.since),
    blockedForMs: Math.max(0, now - b.since),
    redeliveries: b.redeliveries,
    ...(b.retryAt !== undefined && { retryAt: iso(b.retryAt) }),
    ...(b.error !== undefined && { error: describeError(b.error) }),
  };
}
