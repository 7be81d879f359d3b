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
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}
