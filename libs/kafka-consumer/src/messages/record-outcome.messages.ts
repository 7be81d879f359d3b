import { describeError } from './message-parts.js';

// Record outcomes: one line per failed record, with its group, topic, partition and offset.

const recordAt = (groupId: string, topic: string, partition: number, offset: string): string =>
  `Group "${groupId}": record ${topic}[${partition}]@${offset}`;

const REDELIVERED_BECAUSE: Record<string, string> = {
  exhausted: 'failed and has nowhere to go (no dead-letter topic)',
  refused: "was refused by a guard (refused: 'redeliver')",
  'recovery-failed': 'could not be written to its dead-letter or retry topic',
  'skip-hook-failed': 'was not skipped: exhausted.onSkip failed',
  aborted: 'was interrupted by a revoke or shutdown',
};

export const recordRedelivered = (
  groupId: string,
  topic: string,
  partition: number,
  offset: string,
  reason: string,
  redeliveries: number,
  error: unknown,
): string =>
  `${recordAt(groupId, topic, partition, offset)} ${REDELIVERED_BECAUSE[reason] ?? reason}; it stays uncommitted and ` +
  `its partition waits to deliver it again${redeliveries > 0 ? ` (delivered again ${redeliveries} time(s) so far)` : ''}. ` +
  `Cause: ${describeError(error)}`;

export const recordSkipped = (
  groupId: string,
  topic: string,
  partition: number,
  offset: string,
  reason: string,
  redeliveries: number,
  skippedInGroup: number,
  error: unknown,
): string => {
  const at = recordAt(groupId, topic, partition, offset);
  const count = `(${skippedInGroup} skipped in this group so far)`;
  if (reason === 'refused')
    return `${at} was refused by a guard and skipped (refused: 'skip'); its offset is committed ${count}.`;
  if (reason === 'unrouted') {
    return `${at} is skipped: ${describeError(error).replace(/^UnroutedRecordError: /, '')}; its offset is committed ${count}. Add a route or a handler without route for it, or set unrouted: 'dead-letter'.`;
  }
  if (reason === 'undeserializable-dead-letter-record') {
    return (
      `${at} of a dead-letter topic cannot be deserialized and is skipped (it cannot be dead-lettered again); its ` +
      `offset is committed ${count}. Consume dead-letter topics with deserializer: 'buffer' to see such records. ` +
      `Cause: ${describeError(error)}`
    );
  }
  return (
    `${at} failed after ${redeliveries} redelivery(ies) and is skipped (exhausted.skipAfterRedeliveries); its offset ` +
    `is committed ${count}. Cause: ${describeError(error)}`
  );
};

export const redactErrorFailed = (handler: string, problem: string): string =>
  `${handler}: the redactError option ${problem}; error messages it should replace are written as ` +
  `"(redactError failed)" (logged once per hook).`;

export const retryDueCapped = (topic: string, offset: string, delayMs: number, dueAt: number): string =>
  `Record at offset ${offset} of retry topic "${topic}" has a retry_topic-backoff-timestamp later than its stage allows (the record's timestamp + ${delayMs} ms): it is processed at ${new Date(dueAt).toISOString()} instead (a bogus header, or the forwarding host's clock is ahead).`;
