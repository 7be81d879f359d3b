import { redactSecrets } from '../kafka-consumer.redaction.js';
import { redactedMessageOf } from './redacted-error-text.js';

// Pieces shared by the package's messages (kafka-consumer.messages.ts and messages/*.ts).

/**
 * `Name: message` of an error (or the text of anything thrown), with secrets redacted; the message
 * is the `redactError` text when a record failed with this error and its handler has that hook.
 */
export function describeError(error: unknown): string {
  return redactSecrets(errorText(error, redactedMessageOf(error)));
}

function errorText(error: unknown, redactedMessage: string | undefined): string {
  try {
    if (error instanceof Error) return `${error.name}: ${redactedMessage ?? error.message}`;
    if (redactedMessage !== undefined) return redactedMessage;
    if (error && typeof error === 'object' && 'message' in error)
      return String((error as { message: unknown }).message);
    return String(error);
  } catch {
    // A thrown object without a usable toString (e.g. Object.create(null)).
    return Object.prototype.toString.call(error);
  }
}

/** `orders[0], orders[1]`: partitions for messages. */
export const partitionList = (partitions: ReadonlyArray<{ topic: string; partition: number }>): string =>
  partitions.map(({ topic, partition }) => `${topic}[${partition}]`).join(', ');
