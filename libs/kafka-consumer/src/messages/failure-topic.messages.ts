import { describeError } from './message-parts.js';

// Retry and dead-letter topic messages: topology checks, writes, forwarding.

/** `dead-letter` or `retry`: which kind of failure topic a message is about. */
export type FailureTopicKind = 'dead-letter' | 'retry';

const kindName = (kind: FailureTopicKind): string => (kind === 'dead-letter' ? 'Dead-letter topic' : 'Retry topic');
const createOption = (kind: FailureTopicKind): string =>
  kind === 'dead-letter' ? 'deadLetter: { createTopics: true }' : 'retryTopics: { createTopics: true }';

export const failureTopicMissing = (
  kind: FailureTopicKind,
  topic: string,
  sourceTopic: string,
  partitions: number,
  handler: string,
): string =>
  `${kindName(kind)} "${topic}" of "${sourceTopic}" (${handler}) does not exist. Create it with at least ` +
  `${partitions} partition(s), or set ${createOption(kind)} to create it at startup.`;

export const failureTopicTooSmall = (
  kind: FailureTopicKind,
  topic: string,
  partitions: number,
  sourceTopic: string,
  sourcePartitions: number,
  handler: string,
): string =>
  `${kindName(kind)} "${topic}" has ${partitions} partition(s), fewer than the ${sourcePartitions} of "${sourceTopic}" ` +
  `(${handler}): records could not keep their partition. Add partitions: ` +
  `kafka-topics.sh --alter --topic ${topic} --partitions ${sourcePartitions}.`;

export const failureTopicUnderReplicated = (
  kind: FailureTopicKind,
  topic: string,
  replicationFactor: number,
  sourceTopic: string,
  sourceReplicationFactor: number,
  handler: string,
): string =>
  `${kindName(kind)} "${topic}" has replication factor ${replicationFactor}, lower than the ${sourceReplicationFactor} of ` +
  `"${sourceTopic}" (${handler}): a record committed on the source after it was written there could be lost with one ` +
  `broker. Raise it with kafka-reassign-partitions.sh.`;

export const failureTopicMessageLimit = (
  kind: FailureTopicKind,
  topic: string,
  maxMessageBytes: number,
  sourceTopic: string,
  sourceMaxMessageBytes: number,
  handler: string,
): string =>
  `${kindName(kind)} "${topic}" accepts records of at most ${maxMessageBytes} bytes (max.message.bytes), less than ` +
  `the ${sourceMaxMessageBytes} of "${sourceTopic}" (${handler}): a large record could never be written there. Raise it: ` +
  `kafka-configs.sh --alter --entity-type topics --entity-name ${topic} --add-config max.message.bytes=${sourceMaxMessageBytes + 65536}.`;

export const failureRecordTooLarge = (destination: string, topic: string, partition: number, offset: string): string =>
  `Record ${topic}[${partition}]@${offset} with the failure headers is larger than "${destination}" accepts ` +
  `(MESSAGE_TOO_LARGE): raise that topic's max.message.bytes (kafka-configs.sh --alter --entity-type topics ` +
  `--entity-name ${destination} --add-config max.message.bytes=<bytes>) to at least the source's. Until then the record ` +
  `is not committed and its partition waits.`;

export const failureTopicDoesNotExist = (topic: string): string =>
  `topic "${topic}" does not exist (it is not created automatically at runtime)`;

export const failureTopicWriteFailed = (
  destination: string,
  topic: string,
  partition: number,
  offset: string,
  cause: unknown,
): string =>
  `Could not write ${topic}[${partition}]@${offset} to "${destination}": ${describeError(cause)}. The record stays ` +
  `uncommitted and is delivered again later; check that the topic exists and accepts writes.`;

export const deadLettered = (
  topic: string,
  partition: number,
  offset: string,
  destination: string,
  attempts: number,
  error: unknown,
): string =>
  `Record ${topic}[${partition}]@${offset} failed (${attempts} attempt(s)) and was written to dead-letter topic ` +
  `"${destination}"; its offset is committed. Cause: ${describeError(error)}`;

export const forwardedToRetryTopic = (
  topic: string,
  partition: number,
  offset: string,
  destination: string,
  error: unknown,
): string =>
  `Record ${topic}[${partition}]@${offset} failed and was forwarded to retry topic "${destination}". Cause: ${describeError(error)}`;

export const notDeadLetteredAgain = (topic: string, partition: number, offset: string): string =>
  `Record ${topic}[${partition}]@${offset} failed in a dead-letter topic: it is not dead-lettered again ` +
  `(no dead-letter loops); its partition waits and the record is delivered again.`;
