/** Every user-facing error and log text of the package, as functions. */

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return value.name || 'anonymous function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

export const invalidOption = (path: string, value: unknown, allowed: string): string =>
  `KafkaConsumerModule: option "${path}" is ${show(value)}; allowed: ${allowed}.`;

export const missingOption = (path: string, allowed: string): string =>
  `KafkaConsumerModule: option "${path}" is required; expected ${allowed}.`;

export const missingGroupId = (topic: string, handler: string): string =>
  `@ConsumeTopic('${topic}') on ${handler} has no groupId: set ConsumeTopicOptions.groupId or forRoot({ consumer: { groupId } }).`;

export const duplicateHandler = (topic: string, groupId: string, first: string, second: string): string =>
  `Two handlers consume topic "${topic}" in group "${groupId}": ${first} and ${second}. ` +
  `Each partition is delivered to one handler per group: give one of them another groupId, or merge them.`;

export const conflictingGroupOption = (groupId: string, option: string, a: unknown, b: unknown): string =>
  `Handlers of group "${groupId}" disagree on "${option}" (${show(a)} vs ${show(b)}); ` +
  `a group is one Kafka consumer, so group-level options must match. Use another groupId for one of them.`;

export const handlerFailed = (
  topic: string,
  partition: number,
  offset: string,
  delayMs: number,
  error: unknown,
): string =>
  `Handler failed for ${topic}[${partition}]@${offset}; the record is not committed and is delivered again in ${delayMs} ms. Cause: ${describeError(error)}`;

export const invalidJson = (topic: string, partition: number, offset: string, cause: unknown): string =>
  `Record ${topic}[${partition}]@${offset} is not valid JSON: ${describeError(cause)}`;

export const commitFailed = (groupId: string, error: unknown): string =>
  `Group "${groupId}": committing offsets failed, will retry: ${describeError(error)}`;

export const shutdownTimedOut = (groupId: string, timeoutMs: number, inFlight: number): string =>
  `Group "${groupId}": ${inFlight} handler(s) still running after shutdownTimeoutMs=${timeoutMs}; ` +
  `their records are not committed and will be delivered again to the next owner.`;

export const consumerCrashed = (groupId: string, error: unknown): string =>
  `Group "${groupId}": the Kafka consumer stopped on a non-retriable error: ${describeError(error)}`;

export const serverNotListening = (): string =>
  'KafkaConsumerServer is not listening yet: call app.listen() / app.startAllMicroservices() first.';

export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    if (error && typeof error === 'object' && 'message' in error)
      return String((error as { message: unknown }).message);
    return String(error);
  } catch {
    // A thrown object without a usable toString (e.g. Object.create(null)).
    return Object.prototype.toString.call(error);
  }
}

// ---- offset stores ----------------------------------------------------------------------

const partitionList = (partitions: ReadonlyArray<{ topic: string; partition: number }>): string =>
  partitions.map(({ topic, partition }) => `${topic}[${partition}]`).join(', ');

export const staleOffsetWrite = (
  groupId: string,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
): string =>
  `Group "${groupId}": offsets of ${partitionList(partitions)} were not stored: another member claimed ` +
  `these partitions since this one loaded them (stale epoch). This member drops them; the new owner continues.`;

export const partitionsLost = (groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>) =>
  `Group "${groupId}": ${partitionList(partitions)} now belong to another member (stale offset write); ` +
  `dropped here until the group assigns them again.`;

export const missingDependency = (packageName: string, usedBy: string): string =>
  `${usedBy} needs the package "${packageName}", which is not installed: run \`npm install ${packageName}\`.`;

export const offsetStoreUnreachable = (store: string, target: string, error: unknown): string =>
  `${store}: cannot reach ${target} at startup: ${describeError(error)}. Check that it is running and the ` +
  `connection options are right; the consumer does not start without its offset store.`;

export const offsetStoreNotConfigured = (store: string): string =>
  `${store} has no options: import ${store}.forRoot({ ... }) (or forRootAsync) next to KafkaConsumerModule.`;

export const offsetStoreNotConnected = (store: string): string =>
  `${store} is not connected yet: it connects when the Kafka consumer starts listening.`;

export const offsetFileLocked = (path: string, pid: number): string =>
  `FileOffsetStore: ${path} is used by another process (pid ${pid}, lock ${path}.lock); ` +
  `a file store serves one process. Stop that process or use a shared store (PostgreSQL, Redis).`;

// ---- retry and dead-letter topics -------------------------------------------------------

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
