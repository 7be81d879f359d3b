import type { LoggerService } from '@nestjs/common';
import { logLevel, type logCreator } from 'kafkajs';
import { redactSecrets } from '../kafka-consumer.redaction.js';

/**
 * kafkajs logs every error response at ERROR, including the ones a group member expects around a
 * rebalance or a coordinator move and recovers from by itself: those become debug lines.
 */
const EXPECTED_ERRORS = [
  'The group is rebalancing',
  'The coordinator is not aware of this member',
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'Specified group generation id is not valid',
  'The coordinator is loading',
];

/** Routes kafkajs log lines to a Nest logger (INFO becomes debug: kafkajs is chatty at INFO). */
export function nestLogCreator(logger: LoggerService): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const detail = extra.error ? ` (${String(extra.error)})` : '';
      const line = redactSecrets(`${extra.groupId ? `[${String(extra.groupId)}] ` : ''}${String(message)}${detail}`);
      if (level === logLevel.ERROR && EXPECTED_ERRORS.some((text) => line.includes(text))) {
        return logger.debug?.(line);
      }
      switch (level) {
        case logLevel.ERROR:
          return logger.error(line);
        case logLevel.WARN:
          return logger.warn(line);
        case logLevel.INFO:
          return logger.debug?.(line);
        default:
          return logger.verbose?.(line);
      }
    };
}
