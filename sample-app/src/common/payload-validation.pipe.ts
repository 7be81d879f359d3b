import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { NonRetriableError } from 'nestjs-kafka-consumer';

/**
 * Validates and transforms a record payload into its DTO class. Use it on `@Payload(...)` only,
 * not as a global pipe: a global ValidationPipe would also try to transform `@Ctx()`.
 * An invalid record will never become valid, so it is not retried.
 */
export const payloadValidation = new ValidationPipe({
  transform: true,
  whitelist: true,
  exceptionFactory: (errors: ValidationError[]) =>
    new NonRetriableError(
      `invalid payload: ${errors.map((e) => Object.values(e.constraints ?? {}).join(', ') || e.property).join('; ')}`,
    ),
});
