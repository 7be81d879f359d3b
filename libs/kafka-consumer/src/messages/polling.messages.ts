import { describeError, partitionList } from './message-parts.js';

// PollingConsumer messages.

const listPartitions = (partitions: readonly { topic: string; partition: number }[]): string =>
  partitionList(partitions) || 'none';

export const commitFailedAfterRebalance = (
  groupId: string,
  partitions: readonly { topic: string; partition: number }[],
  reason = 'the group rebalanced before the commit completed and they were revoked from this consumer',
): string =>
  `PollingConsumer of group "${groupId}": offsets of ${listPartitions(partitions)} were not committed: ${reason}. ` +
  `Their records are delivered again (polled again here if a partition came back); do not treat them as committed.`;

export const pollingConsumerCrashed = (groupId: string, error: unknown): string =>
  `PollingConsumer of group "${groupId}": the Kafka consumer stopped on an error and does not restart: ${describeError(error)}. ` +
  `Close this consumer and create a new one.`;

export const pollingConsumerNotRunning = (groupId: string, state: string): string =>
  `PollingConsumer of group "${groupId}" is ${state}: call connect() and subscribe(topics) (or pass topics at creation) first.`;

export const pollingConsumerAlreadyStarted = (groupId: string, what: 'connected' | 'subscribed'): string =>
  what === 'connected'
    ? `PollingConsumer of group "${groupId}" was already connected.`
    : `PollingConsumer of group "${groupId}" is already subscribed: kafkajs cannot change a subscription; create another consumer for other topics.`;

export const pollingPartitionNotAssigned = (groupId: string, topic: string, partition: number): string =>
  `PollingConsumer of group "${groupId}": ${topic}[${partition}] is not assigned to this consumer (see assignment()).`;

export const pollingClaimFailed = (
  groupId: string,
  partitions: readonly { topic: string; partition: number }[],
  delayMs: number,
  error: unknown,
): string =>
  `PollingConsumer of group "${groupId}": loading the stored offsets of ${listPartitions(partitions)} failed; ` +
  `their records wait, retry in ${delayMs} ms: ${describeError(error)}`;

export const pollingConsumerRestarts = (groupId: string, error: unknown): string =>
  `PollingConsumer of group "${groupId}": the Kafka consumer crashed and restarts; buffered records are dropped ` +
  `and polled again after the new join: ${describeError(error)}`;
