import type { LoggerService } from '@nestjs/common';
import { logLevel, type logCreator } from 'kafkajs';

/** Routes kafkajs log lines to a Nest logger (INFO becomes debug: kafkajs is chatty at INFO). */
export function nestLogCreator(logger: LoggerService): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const detail = extra.error ? ` (${String(extra.error)})` : '';
      const line = `${extra.groupId ? `[${String(extra.groupId)}] ` : ''}${String(message)}${detail}`;
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
