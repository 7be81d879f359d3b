/**
 * Every user-facing error and log text of the package, as functions. Values and errors are shown
 * through `kafka-consumer.redaction.ts`, so no text here carries a password, token or URL userinfo.
 */
import { describeValue } from './kafka-consumer.redaction.js';
import { describeError, partitionList } from './messages/message-parts.js';
import { classifyConnectionFailure } from './server/connection-failure.js';

export { describeError } from './messages/message-parts.js';
export * from './messages/offset-store.messages.js';
export * from './messages/failure-topic.messages.js';
export * from './messages/record-outcome.messages.js';
export * from './messages/polling.messages.js';
export * from './messages/first-contact.messages.js';

/** Shows an option's value by its kind, never a dump of an object (see `describeValue`). */
const show = (value: unknown, path = ''): string => describeValue(value, path.split(/[.\s]/).pop());

export const invalidOption = (path: string, value: unknown, allowed: string): string =>
  `KafkaConsumerModule: option "${path}" is ${show(value, path)}; allowed: ${allowed}.`;

export const unknownOption = (path: string, keys: readonly string[], known: readonly string[]): string => {
  const name = (key: string) => (path === '' ? key : path.endsWith(':') ? `${path} ${key}` : `${path}.${key}`);
  const hints = keys.map((key) => {
    const match = closestMatch(key, known);
    return `"${name(key)}"${match === undefined ? '' : ` (did you mean "${name(match)}"?)`}`;
  });
  return (
    `KafkaConsumerModule: unknown option${keys.length === 1 ? '' : 's'} ${hints.join(', ')}; ` +
    `known: ${known.toSorted().join(', ')}.`
  );
};

/** The known key closest to a mistyped one (case-insensitive edit distance of at most a third of it), if any. */
export function closestMatch(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

export const missingOption = (path: string, allowed: string): string =>
  `KafkaConsumerModule: option "${path}" is required; expected ${allowed}.`;

export const missingGroupId = (topic: string, handler: string): string =>
  `@ConsumeTopic('${topic}') on ${handler} has no groupId: set ConsumeTopicOptions.groupId or forRoot({ consumer: { groupId } }).`;

export const duplicateHandler = (topic: string, groupId: string, first: string, second: string): string =>
  `Two handlers consume topic "${topic}" in group "${groupId}": ${first} and ${second}. ` +
  `Each partition is delivered to one handler per group: give one of them another groupId, or merge them.`;

export const conflictingRoutes = (topic: string, groupId: string, first: string, second: string, why: string): string =>
  `Handlers ${first} and ${second} of topic "${topic}" in group "${groupId}" have conflicting routes: ${why}. ` +
  `Give each handler its own route ({ header, value } or { payloadType }), or another groupId.`;

export const routedTopicOption = (topic: string, groupId: string, handler: string, option: string): string =>
  `${handler}: routed handlers of topic "${topic}" in group "${groupId}" must agree on "${option}" ` +
  `(the topic is consumed and decoded once for all of them), and cannot use retryTopics yet.`;

export const unroutedRecord = (
  header: string | undefined,
  value: string | undefined,
  handlers: readonly string[],
): string =>
  (header === undefined
    ? 'no route takes a payload of this type'
    : value === undefined
      ? `the record has no "${header}" header`
      : `no route takes ${header}="${value}"`) + ` (routes: ${handlers.join(', ')})`;

export const conflictingGroupOption = (groupId: string, option: string, a: unknown, b: unknown): string =>
  `Handlers of group "${groupId}" disagree on "${option}" (${show(a)} vs ${show(b)}); ` +
  `a group is one Kafka consumer, so group-level options must match. Use another groupId for one of them.`;

export const invalidJson = (topic: string, partition: number, offset: string, cause: unknown): string =>
  `Record ${topic}[${partition}]@${offset} is not valid JSON: ${describeError(cause)}`;

export const deserializerFailed = (
  deserializer: string,
  topic: string,
  partition: number,
  offset: string,
  cause: unknown,
): string => `Deserializer ${deserializer} failed on record ${topic}[${partition}]@${offset}: ${describeError(cause)}`;

export const commitFailed = (groupId: string, error: unknown): string =>
  `Group "${groupId}": committing offsets failed, will retry: ${describeError(error)}`;

export const shutdownTimedOut = (groupId: string, timeoutMs: number, inFlight: number): string =>
  `Group "${groupId}": ${inFlight} handler(s) still running after shutdownTimeoutMs=${timeoutMs}; ` +
  `their records are not committed and will be delivered again to the next owner.`;

export const consumerCrashed = (groupId: string, error: unknown): string =>
  `Group "${groupId}": the Kafka consumer stopped on a non-retriable error: ${describeError(error)}` +
  (classifyConnectionFailure(error) === 'authorization'
    ? `. The brokers deny this client's principal: grant it READ and DESCRIBE on each topic of the group and ` +
      `READ on group "${groupId}" (kafka-acls.sh --add --allow-principal User:<name> --operation Read ` +
      `--operation Describe --topic <topic> --group ${groupId})`
    : '');

export const uncommittedLimitReached = (groupId: string, partition: string, pending: number): string =>
  `Group "${groupId}": ${partition} holds ${pending} records not yet committed (maxUncommittedRecordsPerPartition); ` +
  `its fetching pauses until they are committed. With commit: 'manual', call ctx.commit() regularly.`;

export const finalCommitTimedOut = (groupId: string, timeoutMs: number): string =>
  `Group "${groupId}": the final commit did not finish within shutdownTimeoutMs=${timeoutMs}; ` +
  `records processed since the last commit will be delivered again to the next owner.`;

export const storeDisconnectTimedOut = (timeoutMs: number): string =>
  `The offset stores did not disconnect within what remained of shutdownTimeoutMs=${timeoutMs}; ` +
  `shutdown goes on without waiting (check the store's connection).`;

export const offsetStoreTimedOut = (groupId: string, operation: 'save' | 'load', timeoutMs: number): string =>
  `Group "${groupId}": the offset store's ${operation}() did not finish within ` +
  `${operation === 'load' ? 'offsetStoreLoadTimeoutMs' : 'offsetStoreSaveTimeoutMs'}=${timeoutMs}; ` +
  `the ${operation === 'load' ? 'claim' : 'commit'} is tried again (check the store's connection).`;

export const serverNotListening = (): string =>
  'KafkaConsumerServer is not listening yet: call app.listen() / app.startAllMicroservices() first.';

// ---- partition lifecycle (rebalances, claims, zombies) ----

export const waitingForOffsetStore = (groupId: string, partition: string, delayMs: number, error: unknown): string =>
  `Group "${groupId}": partition ${partition} waits for its offset store: loading its stored offset failed ` +
  `(retry in ${delayMs} ms): ${describeError(error)}`;

export const partitionsReclaimed = (groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>) =>
  `Group "${groupId}": ${partitionList(partitions)} were claimed by another member (stale offset write) but are ` +
  `still assigned here: claiming them again.`;

export const revokeGraceExpired = (groupId: string, partition: string, graceMs: number): string =>
  `Group "${groupId}": a handler of ${partition} still runs ${graceMs} ms after the partition was revoked ` +
  `(revokeGraceMs); the partition goes on without it, so two of its records may now run at once. ` +
  `Make the handler honour ctx.signal or time out.`;

export const consumerRestarting = (groupId: string, error: unknown): string =>
  `Group "${groupId}": the Kafka consumer crashed and restarts; its partitions are dropped until the new join: ` +
  describeError(error);

// ---- runtime control (KafkaConsumerRegistry) ----

const names = (items: readonly string[]): string => (items.length ? items.map((i) => `"${i}"`).join(', ') : 'none');

export const unknownGroup = (groupId: string, known: readonly string[]): string =>
  `No handler of this app consumes in group "${groupId}"; known groups: ${names(known)}.`;

export const unknownGroupTopic = (groupId: string, topic: string, topics: readonly string[]): string =>
  `Group "${groupId}" does not consume topic "${topic}"; its topics: ${names(topics)}.`;

export const partitionNotAssigned = (
  groupId: string,
  topic: string,
  partition: number,
  assigned: ReadonlyArray<{ topic: string; partition: number }>,
): string =>
  `Group "${groupId}": ${topic}[${partition}] is not assigned to this member, so it cannot be sought here ` +
  `(assigned here: ${assigned.length ? partitionList(assigned) : 'none'}). Seek on the member that owns it.`;

export const partitionNotReady = (groupId: string, topic: string, partition: number): string =>
  `Group "${groupId}": ${topic}[${partition}] is still being positioned (its stored offset is loading or a ` +
  `previous seek is in progress); try again.`;

export const groupNotRunning = (groupId: string, what: string): string =>
  `Group "${groupId}" is not running, so ${what} is not possible; start it with startGroup("${groupId}").`;

export const invalidControlArgument = (what: string, value: unknown, allowed: string): string =>
  `${what}: got ${show(value)}; expected ${allowed}.`;

export const seekNotStored = (groupId: string, topic: string, partition: number, error: unknown): string =>
  `Group "${groupId}": seeking ${topic}[${partition}] failed because its offset store did not save the new ` +
  `position; the partition goes on from where it was: ${describeError(error)}`;

export const partitionMovedDuringSeek = (groupId: string, topic: string, partition: number): string =>
  `Group "${groupId}": ${topic}[${partition}] was revoked from this member while it was being sought; the new ` +
  `position was stored, so its new owner starts from it.`;

export const seekBackwardsUnsupported = (
  groupId: string,
  topic: string,
  partition: number,
  offset: string,
  position: number,
): string =>
  `Group "${groupId}": cannot seek ${topic}[${partition}] back to ${offset} (it is at ${position}): its external ` +
  `offset store only moves offsets forward (its guard against stale members). Stop the group, reset the stored ` +
  `offset in the store, and start the group again.`;
